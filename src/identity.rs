//! Identities: platform admins in the control plane; tenant users and their
//! memberships in the tenant plane (the same email may exist in several
//! tenants, independently).

pub mod admins;
pub mod email;
pub mod members;
pub mod password;
pub mod role;
pub mod throttle;

pub use email::Email;
pub use role::Role;
