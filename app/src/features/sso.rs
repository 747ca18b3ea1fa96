//! Single sign-on.

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
