//! The light / dark / system colour scheme a person chooses, remembered per
//! host in a cookie.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
