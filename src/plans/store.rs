//! Plans in the catalog: define, change, remove, and move a tenant onto one.
//! Every change is audited; moving a tenant also emits `plan.changed` in the
//! same transaction.

use super::entitlements::{Enforcement, Entitlements, Plan};
use crate::audit;
use crate::entities::catalog::{plan, tenant};
use crate::error::{Error, Result};
use crate::tenancy::{parse_placement, Engine, PlatformUse};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A plan as typed into the console or sent to the platform API.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    pub key: String,
    pub name: String,
    pub tier: String,
    pub price_ref: String,
    pub placement_hint: String,
    pub quota_enforcement: String,
    /// Entitlement key → raw value (see [`Entitlements::parse_form`]).
    pub entitlements: BTreeMap<String, String>,
    /// The plan's prices as JSON (see [`crate::plans::prices`]).
    pub prices: String,
}

fn identifier(field: &'static str, raw: &str) -> Result<String> {
    let value = raw.trim();
    let ok = (1..=40).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && value.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            field,
            "1 to 40 lowercase letters, digits, - or _, starting with a letter",
        ))
    }
}

fn optional_text(field: &'static str, raw: &str, max: usize) -> Result<Option<String>> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

impl PlanInput {
    /// Every field checked before anything is written; usage prices must
    /// name a meter for which `meter_exists`.
    pub fn parse(&self, meter_exists: &dyn Fn(&str) -> bool) -> Result<Plan> {
        let key = identifier("key", &self.key)?;
        let name = optional_text("name", &self.name, 100)?
            .ok_or_else(|| Error::invalid("name", "is required"))?;
        let tier = identifier("tier", &self.tier)?;
        let price_ref = optional_text("price_ref", &self.price_ref, 200)?;
        let placement_hint = match self.placement_hint.trim() {
            "" => None,
            raw => Some(parse_placement(raw, "placement_hint")?.as_str().to_owned()),
        };
        let quota_enforcement = match self.quota_enforcement.trim() {
            "" => Enforcement::Hard,
            raw => Enforcement::parse(raw)?,
        };
        Ok(Plan {
            key,
            name,
            tier,
            price_ref,
            placement_hint,
            quota_enforcement,
            entitlements: Entitlements::parse_form(&self.entitlements)?,
            prices: crate::plans::prices::parse(&self.prices, meter_exists)?,
        })
    }
}

/// Every plan, by tier then name.
pub async fn list(engine: &Engine) -> Result<Vec<Arc<Plan>>> {
    let policy = engine.policy().await?;
    let mut plans: Vec<_> = policy.plans.values().cloned().collect();
    plans.sort_by(|a, b| (&a.tier, &a.name).cmp(&(&b.tier, &b.name)));
    Ok(plans)
}

/// Creates the plan or replaces the one with the same key.
pub async fn save(engine: &Engine, input: &PlanInput, actor: &str) -> Result<Arc<Plan>> {
    let policy = engine.policy().await?;
    let plan = input.parse(&|meter| policy.meters.contains_key(meter))?;
    let model = plan::ActiveModel {
        key: Set(plan.key.clone()),
        name: Set(plan.name.clone()),
        tier: Set(plan.tier.clone()),
        price_ref: Set(plan.price_ref.clone()),
        placement_hint: Set(plan.placement_hint.clone()),
        quota_enforcement: Set(plan.quota_enforcement.as_str().to_owned()),
        entitlements: Set(plan.entitlements.to_json()),
        prices: Set(crate::plans::prices::to_json(&plan.prices)),
    };
    let txn = engine.platform(PlatformUse::Records).await?;
    plan::Entity::insert(model)
        .on_conflict(
            OnConflict::column(plan::Column::Key)
                .update_columns([
                    plan::Column::Name,
                    plan::Column::Tier,
                    plan::Column::PriceRef,
                    plan::Column::PlacementHint,
                    plan::Column::QuotaEnforcement,
                    plan::Column::Entitlements,
                    plan::Column::Prices,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let detail =
        json!({ "plan": plan.key, "entitlements": plan.entitlements, "prices": plan.prices })
            .to_string();
    audit::record_in(&txn, actor, "plan.saved", None, &detail).await?;
    txn.commit().await?;
    engine.policy_changed().await?;
    Ok(Arc::new(plan))
}

/// Removes a plan no tenant is on (and that is not the default).
pub async fn remove(engine: &Engine, key: &str, actor: &str) -> Result<()> {
    if key == engine.settings().default_plan {
        return Err(Error::conflict(
            "key",
            "this is the default plan for new tenants",
        ));
    }
    let txn = engine.platform(PlatformUse::Records).await?;
    let on_it = tenant::Entity::find()
        .filter(tenant::Column::Plan.eq(key))
        .count(&txn)
        .await?;
    if on_it > 0 {
        return Err(Error::conflict(
            "key",
            format!("{on_it} tenant(s) are on this plan; move them first"),
        ));
    }
    let gone = plan::Entity::delete_by_id(key.to_owned())
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    audit::record_in(
        &txn,
        actor,
        "plan.removed",
        None,
        &json!({ "plan": key }).to_string(),
    )
    .await?;
    txn.commit().await?;
    engine.policy_changed().await
}

/// Checks that `key` names a plan (for a new tenant or a move).
pub async fn existing(engine: &Engine, field: &'static str, key: &str) -> Result<String> {
    let key = key.trim();
    let key = if key.is_empty() {
        engine.settings().default_plan.as_str()
    } else {
        key
    };
    match engine.policy().await?.plan(key) {
        Some(plan) => Ok(plan.key.clone()),
        None => Err(Error::invalid(field, format!("there is no plan {key:?}"))),
    }
}
