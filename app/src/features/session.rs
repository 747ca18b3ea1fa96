//! Signing in and out, and the page context.

pub mod api;
pub mod console_page;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
