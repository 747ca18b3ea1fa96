//! The signed-in member's own account: name, password, sessions.

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
