//! Per-tenant exceptions to a plan, set by a superadmin with a reason and an
//! optional expiry, audited. They live in the tenant's plane and travel
//! with its record (and its change notifications), so checks read them from
//! memory.

use super::entitlements::parse_text;
use super::registry;
use crate::entities::tenant::entitlement_override;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::tenancy::{Engine, Slug, TenantCtx, TenantDb};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

/// One override, as the tenant's record carries it.
pub use crate::tenancy::PlanOverride as Override;

/// A tenant's overrides, expired ones included (they are shown, not applied).
pub(crate) async fn load(db: &TenantDb) -> Result<Vec<Override>> {
    let rows = entitlement_override::Entity::find().all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let key = registry::find(&row.key)?.key;
            Some(Override {
                key,
                value: serde_json::from_str(&row.value).ok()?,
                reason: row.reason,
                expires_at: row.expires_at,
                created_by: row.created_by,
                created_at: row.created_at,
            })
        })
        .collect())
}

/// What a superadmin asks for.
#[derive(Debug, Clone, Default)]
pub struct OverrideInput {
    pub key: String,
    /// As for a plan: `true`/`false`, a number, or empty for unlimited.
    pub value: String,
    pub reason: String,
    /// RFC 3339, or empty for no expiry.
    pub expires_at: String,
}

/// Sets (or replaces) one override.
pub async fn set(
    engine: &Engine,
    raw_slug: &str,
    input: &OverrideInput,
    actor: &str,
) -> Result<()> {
    let entitlement = registry::find(input.key.trim())
        .ok_or_else(|| Error::invalid("key", "is not an entitlement"))?;
    let value = parse_text(entitlement, input.value.trim())
        .map_err(|e| Error::invalid("value", e.public_message()))?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid(
            "reason",
            "is required (at most 500 characters)",
        ));
    }
    let now = chrono::Utc::now();
    let expires_at = match input.expires_at.trim() {
        "" => None,
        raw => Some(parse_expiry(raw)?),
    };
    if expires_at.is_some_and(|at| at <= now) {
        return Err(Error::invalid("expires_at", "must be in the future"));
    }
    let ctx = tenant_of(engine, raw_slug).await?;
    let db = ctx.db().await?;
    // Replaces the entitlement's override, if it had one.
    entitlement_override::Entity::delete_many()
        .filter(entitlement_override::Column::Key.eq(entitlement.key))
        .exec(&db)
        .await?;
    db.insert(entitlement_override::ActiveModel {
        key: Set(entitlement.key.to_owned()),
        value: Set(value.to_string()),
        reason: Set(reason.to_owned()),
        expires_at: Set(expires_at),
        created_by: Set(actor.to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .await?;
    let detail = json!({ "key": entitlement.key, "value": value, "reason": reason, "expires_at": expires_at });
    let detail = detail.to_string();
    relay::raise(&db, Raised::audit("entitlement.overridden", actor, &detail)).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    Ok(())
}

pub async fn remove(engine: &Engine, raw_slug: &str, key: &str, actor: &str) -> Result<()> {
    let ctx = tenant_of(engine, raw_slug).await?;
    let db = ctx.db().await?;
    let gone = entitlement_override::Entity::delete_many()
        .filter(entitlement_override::Column::Key.eq(key))
        .exec(&db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    let detail = json!({ "key": key }).to_string();
    let event = Raised::audit("entitlement.override_removed", actor, &detail);
    relay::raise(&db, event).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    Ok(())
}

fn parse_expiry(raw: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    // What a browser's datetime-local input sends (taken as UTC).
    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .map(|at| at.and_utc())
        .map_err(|_| Error::invalid("expires_at", "must be a date and time"))
}

async fn tenant_of(engine: &Engine, raw_slug: &str) -> Result<TenantCtx> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    let record = engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)?;
    Ok(engine.ctx(record))
}
