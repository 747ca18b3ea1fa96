//! Feature flags: definitions with targeting rules ([`evaluate`]), stored in
//! the catalog ([`store`]), held in memory by every server
//! ([`crate::policy`]) and read through the tenant context
//! ([`crate::tenancy::TenantCtx::flags`], in [`crate::policy`]).

pub mod evaluate;
pub mod store;

pub use evaluate::{evaluate, rollout_bucket, EvalContext, FlagDefinition, FlagKind, Rule};
