//! The tenant's audit log and support access.

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
