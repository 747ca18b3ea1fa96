//! Plans on the console (define, change, remove), and one tenant's plan,
//! usage and overrides: a superadmin on the console (for the tenant named by
//! `slug`) or an owner or admin on a tenant host (their own, read-only).

use crate::backend::{admin, fail, managed_tenant, timestamp};
use crate::error::AppError;
use crate::features::plans::api::{
    EntitlementDef, OverrideDto, PlanDto, PlanUsageDto, PlansPage, UsageDto,
};
use tenantry::plans::overrides::{self, OverrideInput};
use tenantry::plans::store::{self, PlanInput};
use tenantry::plans::{EntitlementKind, Plan, REGISTRY};
use tenantry::product::plan_usage;
use tenantry::tenancy::RequestScope;
use tenantry::Error;

fn kind_parts(kind: EntitlementKind) -> (String, Option<String>) {
    match kind {
        EntitlementKind::Feature => ("feature".into(), None),
        EntitlementKind::Limit => ("limit".into(), None),
        EntitlementKind::Quota(p) => ("quota".into(), Some(p.as_str().into())),
        EntitlementKind::Rate => ("rate".into(), None),
        EntitlementKind::Fee => ("fee".into(), None),
    }
}

fn registry() -> Vec<EntitlementDef> {
    REGISTRY
        .iter()
        .map(|e| {
            let (kind, period) = kind_parts(e.kind);
            EntitlementDef {
                key: e.key.into(),
                label: e.label.into(),
                kind,
                period,
            }
        })
        .collect()
}

fn plan_dto(p: &Plan) -> PlanDto {
    PlanDto {
        key: p.key.clone(),
        name: p.name.clone(),
        tier: p.tier.clone(),
        price_ref: p.price_ref.clone().unwrap_or_default(),
        prices: if p.prices.is_empty() {
            String::new()
        } else {
            tenantry::plans::prices::to_pretty_json(&p.prices)
        },
        placement_hint: p.placement_hint.clone().unwrap_or_default(),
        quota_enforcement: p.quota_enforcement.as_str().into(),
        values: REGISTRY
            .iter()
            .map(|e| (e.key.to_owned(), p.entitlements.text(e.key)))
            .collect(),
    }
}

pub async fn list_plans() -> Result<PlansPage, AppError> {
    let (engine, _) = admin().await?;
    let plans = store::list(&engine).await?;
    Ok(PlansPage {
        plans: plans.iter().map(|p| plan_dto(p)).collect(),
        registry: registry(),
    })
}

pub async fn save_plan(input: PlanInput) -> Result<PlanDto, AppError> {
    let (engine, who) = admin().await?;
    let plan = store::save(&engine, &input, &crate::backend::actor(&who.email)).await?;
    Ok(plan_dto(&plan))
}

pub async fn remove_plan(key: String) -> Result<(), AppError> {
    let (engine, who) = admin().await?;
    store::remove(&engine, &key, &crate::backend::actor(&who.email))
        .await
        .map_err(fail)
}

pub async fn plan_usage(slug: String) -> Result<PlanUsageDto, AppError> {
    let on_console = matches!(crate::backend::scope().await?, RequestScope::Console);
    let (engine, tenant, _) = managed_tenant(&slug).await?;
    let (effective, rows) = plan_usage::usage_of(&engine, &tenant).await?;
    let plans = if on_console {
        store::list(&engine)
            .await?
            .iter()
            .map(|p| (p.key.clone(), p.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let now = chrono::Utc::now();
    Ok(PlanUsageDto {
        slug: tenant.slug.to_string(),
        plan_key: effective.plan.key.clone(),
        plan_name: effective.plan.name.clone(),
        tier: effective.plan.tier.clone(),
        quota_enforcement: effective.plan.quota_enforcement.as_str().into(),
        rows: rows
            .into_iter()
            .map(|u| {
                let (kind, period) = kind_parts(u.kind);
                UsageDto {
                    key: u.key.into(),
                    label: u.label.into(),
                    kind,
                    period,
                    enabled: u.enabled,
                    used: u.used,
                    limit: u.limit,
                    overridden: u.overridden,
                }
            })
            .collect(),
        // Who set an override, and why, is the platform's business: a
        // tenant's own admins see only which entitlements are overridden.
        overrides: tenant
            .overrides
            .iter()
            .filter(|_| on_console)
            .map(|o| OverrideDto {
                key: o.key.into(),
                value: tenantry::plans::entitlements::value_text(Some(&o.value)),
                reason: o.reason.clone(),
                expires_at: o.expires_at.map(timestamp),
                created_by: o.created_by.clone(),
                in_force: o.in_force(now),
            })
            .collect(),
        plans,
        registry: registry(),
    })
}

/// Console only: a tenant user cannot change their own plan here.
async fn console_admin_actor() -> Result<(tenantry::Engine, String), AppError> {
    let (engine, who) = admin().await?;
    Ok((engine, crate::backend::actor(&who.email)))
}

pub async fn assign_plan(slug: String, plan: String) -> Result<(), AppError> {
    let (engine, actor) = console_admin_actor().await?;
    tenantry::lifecycle::plan::assign(&engine, &slug, &plan, &actor)
        .await
        .map_err(fail)
}

pub async fn set_override(slug: String, input: OverrideInput) -> Result<(), AppError> {
    let (engine, actor) = console_admin_actor().await?;
    overrides::set(&engine, &slug, &input, &actor)
        .await
        .map_err(fail)
}

pub async fn remove_override(slug: String, key: String) -> Result<(), AppError> {
    let (engine, actor) = console_admin_actor().await?;
    overrides::remove(&engine, &slug, &key, &actor)
        .await
        .map_err(|e| match e {
            Error::NotFound => fail(Error::invalid("key", "no override for this entitlement")),
            other => fail(other),
        })
}
