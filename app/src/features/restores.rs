//! Restores and imports on the console: upload forms (posted to
//! `server/src/console_restore.rs`) and the last one's progress.

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
