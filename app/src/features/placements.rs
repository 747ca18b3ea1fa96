//! Placements and moves.

pub mod api;
pub mod fleet_page;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
