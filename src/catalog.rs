//! The control plane's directory: tenants and their lifecycle states, and
//! host resolution. What spans several domains (creating and purging a
//! tenant) is in [`crate::lifecycle`], above them.

pub mod resolve;
pub mod tenants;
