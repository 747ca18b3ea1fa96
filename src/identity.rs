//! Identities: platform admins in the control plane; tenant users and their
//! memberships in the tenant plane (the same email may exist in several
//! tenants, independently).

pub mod access_tokens;
pub mod admins;
pub mod api_keys;
pub mod caller;
pub mod credentials;
pub mod email;
pub mod impersonation;
pub mod invitations;
pub mod members;
pub mod password;
pub mod password_reset;
pub mod role;
pub mod secret_token;
pub mod sso;
pub mod switcher;
pub mod throttle;
pub mod two_factor;
pub mod verification;

pub use caller::{Actor, Caller, KeyGrant, TokenGrant};
pub use email::Email;
pub use role::Role;
