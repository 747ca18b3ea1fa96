//! Self-serve signup on the platform's base host, and the first-run
//! checklist the new owner lands on.

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
pub mod welcome_page;
