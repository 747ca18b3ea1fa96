pub mod audit;
pub mod flags;
pub mod fleet;
pub mod home;
pub mod login;
pub mod placement;
pub mod plans;
pub mod tenant;
