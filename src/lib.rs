//! Tenantry core: everything server-side that is not HTTP. The browser build
//! never compiles this crate.

pub mod audit;
pub mod authz;
pub mod billing;
pub mod branding;
pub mod cache;
pub mod catalog;
pub mod config;
pub mod domains;
pub mod entities;
pub mod error;
pub mod events;
pub mod exports;
pub mod flags;
pub mod identity;
pub mod jobs;
#[cfg(test)]
mod layering;
pub mod lifecycle;
pub(crate) mod listen;
pub mod mail;
pub mod observe;
pub mod outbound;
pub mod plans;
pub mod platform;
pub mod policy;
pub mod product;
pub mod ratelimit;
pub mod redis;
pub mod retry;
pub mod runtime;
pub mod seal;
pub mod session;
pub mod storage;
pub mod tenancy;
pub mod tls;

pub use config::Settings;
pub use error::{Error, FieldError, Result};
pub use tenancy::Engine;
