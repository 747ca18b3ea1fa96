//! Two-factor sign-in for the signed-in person, member or superadmin:
//! setting up an authenticator app, recovery codes, turning it off, proving
//! it again before a sensitive act; and the tenant's rule that its members
//! must use it.

pub mod api;
pub mod panel;
#[cfg(feature = "ssr")]
pub mod server;
