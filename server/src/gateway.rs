//! The gateway: everything a request passes through before application code.
//! Order (outermost first): request span → tenant resolution → plan limits
//! (rate, API access and quota) → origin check → session → impersonation (audit) → (server functions)
//! declared need → handler.

pub mod csrf;
pub mod declared;
pub mod impersonation;
pub mod limits;
pub mod resolve;
pub mod session;

pub use resolve::EffectiveHost;
