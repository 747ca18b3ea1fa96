//! A tenant's data key on the console: its generations and a rotation with
//! its progress (`tenantry::lifecycle::key_rotation`).

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
