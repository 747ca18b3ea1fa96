//! The console's tenants, audit log, mailbox and impersonation.

pub mod api;
pub mod audit_page;
pub mod impersonate_page;
pub mod mailbox_page;
pub mod overview;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
pub mod tenant_page;
