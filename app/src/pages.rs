//! Pages: the superadmin console (console host, under `/console`) and the
//! tenant's own pages (tenant hosts).

pub mod console;
pub mod tenant;
