//! The tenant's "plan and usage" view: every entitlement with what the
//! tenant uses of it now. It counts the product's tables and the members,
//! so it sits above both rather than with the plans.

use crate::error::Result;
use crate::plans::registry::{self, EntitlementKind};
use crate::policy::Effective;
use crate::tenancy::{Engine, TenantCtx, TenantRecord};
use serde::Serialize;

/// One row of the tenant's "plan and usage" view.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: EntitlementKind,
    /// For a feature: whether it is on.
    pub enabled: bool,
    /// How much is used now (limits) or this period (quotas).
    pub used: Option<i64>,
    /// `None`: unlimited.
    pub limit: Option<i64>,
    pub overridden: bool,
}

/// [`usage`] for a tenant the caller already holds the record of (the
/// console, or a tenant's admin pages).
pub async fn usage_of(engine: &Engine, tenant: &TenantRecord) -> Result<(Effective, Vec<Usage>)> {
    usage(&engine.ctx(tenant.clone())).await
}

/// Every entitlement with the tenant's current usage, for the portal.
pub async fn usage(ctx: &TenantCtx) -> Result<(Effective, Vec<Usage>)> {
    let effective = ctx.entitlements().await?;
    let (members, projects) = ctx
        .run(false, async |db| {
            Ok((
                crate::identity::members::count(db).await?,
                super::projects::count(db).await?,
            ))
        })
        .await?;
    let mut rows = Vec::new();
    for entitlement in registry::REGISTRY {
        let key = entitlement.key;
        let used = match entitlement.kind {
            EntitlementKind::Limit if key == registry::MAX_MEMBERS => Some(members as i64),
            EntitlementKind::Limit if key == registry::MAX_PROJECTS => Some(projects as i64),
            EntitlementKind::Quota(_) => Some(crate::plans::quota::used(ctx, key).await?),
            _ => None,
        };
        rows.push(Usage {
            key,
            label: entitlement.label,
            kind: entitlement.kind,
            enabled: effective.values.feature(key),
            used,
            limit: effective.values.number(key),
            overridden: effective.overrides.iter().any(|o| o.key == key),
        });
    }
    Ok((effective, rows))
}
