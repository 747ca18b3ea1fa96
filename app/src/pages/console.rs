pub mod audit;
pub mod home;
pub mod login;
pub mod tenant;
