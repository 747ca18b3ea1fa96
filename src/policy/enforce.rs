//! The one API application code uses to ask what a tenant may do. Refusals
//! say which entitlement stopped the request and how to raise it.

use crate::error::{Error, PlanRefusal, Result};
use crate::plans::overrides::Override;
use crate::plans::registry;
use crate::plans::{Entitlements, Plan};
use crate::tenancy::{Engine, TenantCtx, TenantRecord};
use serde::Serialize;
use std::sync::Arc;

/// A tenant's entitlements now: its plan's, with its overrides in force
/// applied on top.
#[derive(Debug, Clone, Serialize)]
pub struct Effective {
    pub plan: Arc<Plan>,
    pub values: Entitlements,
    /// Overrides in force (the keys they set differ from the plan).
    pub overrides: Vec<Override>,
}

impl Effective {
    /// Computed from the policy snapshot; fails closed (an error, never
    /// "everything allowed") when the tenant's plan does not exist.
    pub async fn of(engine: &Engine, tenant: &TenantRecord) -> Result<Self> {
        let policy = engine.policy_held().await?;
        let plan = plan_of(&policy, tenant)?.clone();
        let now = chrono::Utc::now();
        let mut values = plan.entitlements.clone();
        let overrides: Vec<Override> = tenant
            .overrides
            .iter()
            .filter(|o| o.in_force(now))
            .cloned()
            .collect();
        for o in &overrides {
            if let Some(entitlement) = registry::find(o.key) {
                values.set(entitlement, o.value.clone());
            }
        }
        Ok(Self {
            plan,
            values,
            overrides,
        })
    }

    /// Ok when the feature is on for this tenant.
    pub fn require_feature(&self, key: &'static str) -> Result<()> {
        if self.values.feature(key) {
            return Ok(());
        }
        Err(Error::Plan(PlanRefusal {
            code: PlanRefusal::FEATURE,
            entitlement: key,
            message: format!(
                "{} is not included in the {} plan. Ask an owner to move the organisation to a plan with {key} to use it.",
                label(key),
                self.plan.name
            ),
        }))
    }

    /// Ok when the tenant, which has `current` of something, may have one
    /// more.
    pub fn check_limit(&self, key: &'static str, current: u64) -> Result<()> {
        let Some(limit) = self.values.number(key) else {
            return Ok(());
        };
        if (current as i64) < limit {
            return Ok(());
        }
        Err(Error::Plan(PlanRefusal {
            code: PlanRefusal::LIMIT,
            entitlement: key,
            message: format!(
                "The {} plan allows {limit} {} ({key}), and this organisation has {current}. Remove one, or ask an owner to upgrade the plan to raise {key}.",
                self.plan.name,
                label(key).to_lowercase()
            ),
        }))
    }
}

/// One entitlement's value for the tenant now, without building the whole
/// set (the gateway asks on every request). `None`: off or unlimited.
pub fn value_of(
    policy: &super::Policy,
    tenant: &TenantRecord,
    key: &str,
) -> Result<Option<serde_json::Value>> {
    if !tenant.overrides.is_empty() {
        let now = chrono::Utc::now();
        if let Some(o) = tenant
            .overrides
            .iter()
            .find(|o| o.key == key && o.in_force(now))
        {
            return Ok(Some(o.value.clone()).filter(|v| !v.is_null()));
        }
    }
    let plan = plan_of(policy, tenant)?;
    Ok(plan.entitlements.get(key).cloned())
}

/// The tenant's plan; an error (failing closed) when it does not exist.
fn plan_of<'p>(policy: &'p super::Policy, tenant: &TenantRecord) -> Result<&'p Arc<Plan>> {
    policy.plan(&tenant.plan).ok_or_else(|| {
        Error::Unexpected(anyhow::anyhow!(
            "tenant {} is on plan {:?}, which does not exist",
            tenant.id,
            tenant.plan
        ))
    })
}

fn label(key: &str) -> &'static str {
    registry::find(key)
        .map(|e| e.label)
        .unwrap_or("This feature")
}

impl TenantCtx {
    /// This tenant's entitlements now.
    pub async fn entitlements(&self) -> Result<Effective> {
        Effective::of(self.engine(), self.tenant()).await
    }

    /// Refuses (with which feature, and how to get it) unless the tenant's
    /// plan or an override turns `key` on.
    pub async fn require_feature(&self, key: &'static str) -> Result<()> {
        self.entitlements().await?.require_feature(key)
    }

    /// Refuses unless the tenant, having `current` of what limit `key`
    /// counts, may add one more.
    pub async fn check_limit(&self, key: &'static str, current: u64) -> Result<()> {
        self.entitlements().await?.check_limit(key, current)
    }
}
