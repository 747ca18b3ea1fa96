//! Members and branding.

pub mod api;
pub mod branding_page;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
