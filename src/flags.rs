//! Feature flags: definitions with targeting rules, evaluated per tenant in
//! memory. This module holds the pure evaluation (rules, the rollout hash);
//! storage, invalidation and the console come with the rest of the
//! "plans and flags" capability.

pub mod evaluate;

pub use evaluate::{evaluate, rollout_bucket, EvalContext, FlagDefinition, FlagKind, Rule};
