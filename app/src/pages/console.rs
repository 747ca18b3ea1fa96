pub mod audit;
pub mod fleet;
pub mod home;
pub mod login;
pub mod placement;
pub mod tenant;
