//! The control plane: tenants and their lifecycle, branding, the platform
//! audit log, and host resolution.

pub mod audit;
pub mod branding;
pub mod branding_assets;
pub mod pseudonyms;
pub mod purge;
pub mod resolve;
pub mod tenants;
