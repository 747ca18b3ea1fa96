//! The sample product: projects and tasks.

pub mod api;
pub mod page;
pub mod project_page;
#[cfg(feature = "ssr")]
pub mod server;
