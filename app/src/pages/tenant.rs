pub mod account;
pub mod api_keys;
pub mod branding;
pub mod invitations;
pub mod login;
pub mod members;
pub mod project;
pub mod projects;
