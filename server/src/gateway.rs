//! The gateway: everything a request passes through before application code.
//! Order (outermost first): request span → tenant resolution → origin check →
//! session → handler.

pub mod csrf;
pub mod resolve;
pub mod session;

pub use resolve::EffectiveHost;
