//! The gateway: everything a request passes through before application code.
//! Order (outermost first): security headers → request span → tenant
//! resolution (and the plan's API access) → origin check → session →
//! impersonation (audit) → rate limits and quota, once the caller is known →
//! (server functions) declared need → handler.

pub mod csrf;
pub mod declared;
pub mod impersonation;
pub mod limits;
pub mod metered;
pub mod resolve;
pub mod security_headers;
pub mod session;

pub use resolve::EffectiveHost;
