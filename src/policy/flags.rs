//! Flags as application code reads them: through the tenant context, from
//! the in-memory snapshot (no query per check).

use super::Policy;
use crate::flags::{evaluate, EvalContext};
use crate::tenancy::TenantCtx;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every flag evaluated for one tenant (and optionally one of its users).
pub struct TenantFlags {
    policy: Arc<Policy>,
    ctx: EvalContext,
}

impl TenantFlags {
    /// Whether a boolean flag is on (an unknown flag is off).
    pub fn enabled(&self, key: &str) -> bool {
        self.value(key) == Value::Bool(true)
    }

    /// The flag's value (`null` for an unknown flag).
    pub fn value(&self, key: &str) -> Value {
        self.policy
            .flags
            .get(key)
            .map(|flag| evaluate(flag, &self.ctx))
            .unwrap_or(Value::Null)
    }

    /// Every flag's value.
    pub fn all(&self) -> BTreeMap<String, Value> {
        self.policy
            .flags
            .values()
            .map(|flag| (flag.key.clone(), evaluate(flag, &self.ctx)))
            .collect()
    }
}

impl TenantCtx {
    /// This tenant's flags.
    pub fn flags(&self) -> TenantFlags {
        self.flags_for(None)
    }

    /// This tenant's flags as one of its users sees them (per-user rules).
    pub fn flags_for(&self, user: Option<uuid::Uuid>) -> TenantFlags {
        let policy = self.engine().policy_now();
        let plan = self.tenant().plan.clone();
        let tier = policy.plan(&plan).map(|p| p.tier.clone());
        TenantFlags {
            ctx: EvalContext {
                tenant: self.id(),
                plan: Some(plan),
                tier,
                user,
            },
            policy,
        }
    }
}
