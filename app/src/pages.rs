//! Pages: the superadmin console (console host, under `/console`) and the
//! tenant's own pages (tenant hosts), and the pages both share.

pub mod billing;
pub mod console;
pub mod domains;
pub mod exports;
pub mod plans;
pub mod tenant;
pub mod webhooks;
