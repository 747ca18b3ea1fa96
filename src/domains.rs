//! Custom domains. A tenant admin (portal) or a superadmin (console) adds a
//! host name; the platform shows a TXT record to create,
//! `<domain_challenge_label>.<host>` holding a fresh random token, and the
//! CNAME target. "Verify" (and a background re-check with back-off) looks the
//! record up with a real resolver. States: pending → verified → (re-checks
//! failing) → lapsed. Only verified domains route to their tenant. See
//! `docs/custom-domains.md`.

pub mod dns;
pub mod hostname;

use crate::catalog::audit;
use crate::entities::catalog::tenant_domain;
use crate::error::{violated_unique_constraint, Error, Result};
use crate::events::{outbox, EventKind};
use crate::tenancy::{Engine, PlatformUse, TenantId, TenantRecord, TenantRecords};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

pub const PENDING: &str = "pending";
pub const VERIFIED: &str = "verified";
pub const LAPSED: &str = "lapsed";

/// A domain as its tenant's admins see it, with the DNS records to create.
#[derive(Debug, Clone, Serialize)]
pub struct DomainView {
    pub id: uuid::Uuid,
    pub hostname: String,
    pub state: String,
    pub is_primary: bool,
    /// The TXT record: its name and the value it must hold.
    pub txt_name: String,
    pub txt_value: String,
    /// Where the host name should point (CNAME).
    pub cname_target: String,
    pub last_error: Option<String>,
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
    pub next_check_at: chrono::DateTime<chrono::Utc>,
}

fn view(engine: &Engine, slug: &str, row: &tenant_domain::Model) -> DomainView {
    let settings = engine.settings();
    DomainView {
        id: row.id,
        hostname: row.hostname.clone(),
        state: row.state.clone(),
        is_primary: row.is_primary,
        txt_name: format!("{}.{}", settings.domain_challenge_label, row.hostname),
        txt_value: row.token.clone(),
        cname_target: settings
            .domain_cname_target
            .clone()
            .unwrap_or_else(|| format!("{slug}.{}", settings.base_domain)),
        last_error: row.last_error.clone(),
        checked_at: row.checked_at,
        verified_at: row.verified_at,
        next_check_at: row.next_check_at,
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub async fn list(engine: &Engine, tenant: &TenantRecord) -> Result<Vec<DomainView>> {
    let rows = engine
        .on_records(tenant.id, async |records| {
            Ok(records
                .find::<tenant_domain::Entity>()
                .order_by_asc(tenant_domain::Column::CreatedAt)
                .all(records)
                .await?)
        })
        .await?;
    let slug = tenant.slug.as_str();
    Ok(rows.iter().map(|r| view(engine, slug, r)).collect())
}

/// Adds a host name to the tenant, pending, with a fresh token.
pub async fn add(
    engine: &Engine,
    tenant: &TenantRecord,
    raw_hostname: &str,
    actor: &str,
) -> Result<DomainView> {
    let hostname = hostname::parse(engine.settings(), raw_hostname)?;
    crate::plans::Effective::of(engine, tenant)
        .await?
        .require_feature(crate::plans::registry::CUSTOM_DOMAINS)?;
    let now = chrono::Utc::now();
    let records = engine.records_of(tenant.id).await?;
    let row = records
        .stamp(tenant_domain::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            hostname: Set(hostname.clone()),
            state: Set(PENDING.into()),
            token: Set(new_token()),
            is_primary: Set(false),
            failures: Set(0),
            last_error: Set(None),
            checked_at: Set(None),
            next_check_at: Set(now + retry_delay(engine, 0)),
            verified_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .insert(&records)
        .await
        .map_err(|e| match violated_unique_constraint(&e) {
            Some(_) => Error::conflict("hostname", "this host name is already added"),
            None => e.into(),
        })?;
    let detail = format!("hostname={hostname}");
    audit::record_in(&records, actor, "domain.added", Some(tenant.id), &detail).await?;
    records.commit().await?;
    Ok(view(engine, tenant.slug.as_str(), &row))
}

/// The bound tenant's domain `id`; another tenant's is not found.
async fn find(records: &TenantRecords, id: uuid::Uuid) -> Result<tenant_domain::Model> {
    records
        .find::<tenant_domain::Entity>()
        .filter(tenant_domain::Column::Id.eq(id))
        .one(records)
        .await?
        .ok_or(Error::NotFound)
}

/// Checks the TXT record now and returns the domain as it stands after.
pub async fn verify(
    engine: &Engine,
    tenant: &TenantRecord,
    id: uuid::Uuid,
    actor: &str,
) -> Result<DomainView> {
    let row = engine
        .on_records(tenant.id, async |records| find(records, id).await)
        .await?;
    let row = check(engine, row, actor).await?;
    Ok(view(engine, tenant.slug.as_str(), &row))
}

/// Removes the domain; it stops routing at once.
pub async fn remove(
    engine: &Engine,
    tenant: &TenantRecord,
    id: uuid::Uuid,
    actor: &str,
) -> Result<()> {
    let records = engine.records_of(tenant.id).await?;
    let row = find(&records, id).await?;
    records
        .delete::<tenant_domain::Entity>()
        .filter(tenant_domain::Column::Id.eq(row.id))
        .exec(&records)
        .await?;
    let detail = format!("hostname={}", row.hostname);
    audit::record_in(&records, actor, "domain.removed", Some(tenant.id), &detail).await?;
    records.commit().await?;
    engine.tenant_changed(tenant.id);
    Ok(())
}

/// Makes a verified domain the tenant's primary host: sign-in and links use
/// it, and the tenant's subdomain redirects there.
pub async fn make_primary(
    engine: &Engine,
    tenant: &TenantRecord,
    id: uuid::Uuid,
    actor: &str,
) -> Result<DomainView> {
    let txn = engine.records_of(tenant.id).await?;
    let row = find(&txn, id).await?;
    if row.state != VERIFIED {
        return Err(Error::invalid(
            "hostname",
            "only a verified domain can be the primary host",
        ));
    }
    txn.update::<tenant_domain::Entity>()
        .col_expr(tenant_domain::Column::IsPrimary, false.into())
        .exec(&txn)
        .await?;
    let mut active = row.clone().into_active_model();
    active.is_primary = Set(true);
    let row = active.update(&txn).await?;
    let detail = format!("hostname={}", row.hostname);
    audit::record_in(&txn, actor, "domain.primary", Some(tenant.id), &detail).await?;
    txn.commit().await?;
    engine.tenant_changed(tenant.id);
    Ok(view(engine, tenant.slug.as_str(), &row))
}

/// The tenant's primary host, if it has a verified one.
pub(crate) async fn primary_host(records: &TenantRecords) -> Result<Option<String>> {
    Ok(records
        .find::<tenant_domain::Entity>()
        .filter(tenant_domain::Column::IsPrimary.eq(true))
        .filter(tenant_domain::Column::State.eq(VERIFIED))
        .one(records)
        .await?
        .map(|row| row.hostname))
}

/// The tenant that holds `host` verified, if any.
pub(crate) async fn verified_tenant(engine: &Engine, host: &str) -> Result<Option<TenantId>> {
    let found = engine
        .on_platform(PlatformUse::Directory, async |db| {
            Ok(tenant_domain::Entity::find()
                .filter(tenant_domain::Column::Hostname.eq(host))
                .filter(tenant_domain::Column::State.eq(VERIFIED))
                .one(db)
                .await?)
        })
        .await?;
    Ok(found.map(|row| TenantId::from_uuid(row.tenant)))
}

/// Every verified host name and its tenant's slug: the routing map.
pub(crate) async fn verified_hosts(engine: &Engine) -> Result<Vec<(String, String)>> {
    let (rows, tenants) = engine
        .on_platform(PlatformUse::Directory, async |db| {
            let rows = tenant_domain::Entity::find()
                .filter(tenant_domain::Column::State.eq(VERIFIED))
                .all(db)
                .await?;
            let tenants = crate::entities::catalog::tenant::Entity::find()
                .filter(
                    crate::entities::catalog::tenant::Column::Id
                        .is_in(rows.iter().map(|r| r.tenant)),
                )
                .all(db)
                .await?;
            Ok((rows, tenants))
        })
        .await?;
    let slugs: std::collections::HashMap<uuid::Uuid, String> =
        tenants.into_iter().map(|t| (t.id, t.slug)).collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.hostname, slugs.get(&row.tenant)?.clone())))
        .collect())
}

/// Re-checks every domain whose check is due (pending ones with back-off,
/// verified ones periodically, lapsed ones in case they come back). Returns
/// how many were checked.
pub async fn recheck_due(engine: &Engine) -> Result<usize> {
    let due = engine
        .on_platform(PlatformUse::Maintenance("domains"), async |db| {
            Ok(tenant_domain::Entity::find()
                .filter(tenant_domain::Column::NextCheckAt.lte(chrono::Utc::now()))
                .order_by_asc(tenant_domain::Column::NextCheckAt)
                .limit(200)
                .all(db)
                .await?)
        })
        .await?;
    let count = due.len();
    for row in due {
        let (id, hostname) = (row.id, row.hostname.clone());
        if let Err(e) = check(engine, row, "maintenance").await {
            tracing::error!(domain = %id, hostname, error = ?e, "domain re-check failed");
        }
    }
    Ok(count)
}

/// The delay before the next check after `failures` consecutive failures:
/// the base, doubled per failure after the first, capped at six hours.
fn retry_delay(engine: &Engine, failures: i32) -> chrono::Duration {
    let base = engine.settings().domain_retry_base_secs.max(1);
    let exponent = u32::try_from((failures - 1).clamp(0, 20)).unwrap_or(0);
    let secs = base.saturating_mul(1u64 << exponent).min(6 * 3600);
    chrono::Duration::seconds(i64::try_from(secs).unwrap_or(6 * 3600))
}

/// Looks the TXT record up and moves the domain accordingly.
async fn check(
    engine: &Engine,
    row: tenant_domain::Model,
    actor: &str,
) -> Result<tenant_domain::Model> {
    let settings = engine.settings();
    let name = format!("{}.{}", settings.domain_challenge_label, row.hostname);
    let found = match dns::TxtResolver::new(settings) {
        Ok(resolver) => resolver.txt(&name).await,
        Err(e) => Err(format!("DNS resolver unavailable: {e}")),
    };
    let now = chrono::Utc::now();
    let outcome = match found {
        Ok(values) if values.iter().any(|v| v.trim() == row.token) => Ok(()),
        Ok(values) if values.is_empty() => Err(format!("no TXT record found at {name}")),
        Ok(_) => Err(format!(
            "the TXT record at {name} does not hold this domain's token"
        )),
        Err(e) => Err(e),
    };
    let mut active = row.clone().into_active_model();
    active.checked_at = Set(Some(now));
    match outcome {
        Ok(()) => {
            active.failures = Set(0);
            active.last_error = Set(None);
            let recheck = i64::try_from(settings.domain_recheck_secs).unwrap_or(86_400);
            active.next_check_at = Set(now + chrono::Duration::seconds(recheck));
            if row.state == VERIFIED {
                return save(engine, &row, active).await;
            }
            active.state = Set(VERIFIED.into());
            active.verified_at = Set(Some(now));
            transition(engine, &row, active, EventKind::DomainVerified, actor).await
        }
        Err(reason) => {
            let failures = row.failures + 1;
            active.failures = Set(failures);
            active.last_error = Set(Some(reason));
            active.next_check_at = Set(now + retry_delay(engine, failures));
            let lapses = row.state == VERIFIED
                && u32::try_from(failures).unwrap_or(u32::MAX)
                    >= settings.domain_lapse_after_failures;
            if !lapses {
                return save(engine, &row, active).await;
            }
            active.state = Set(LAPSED.into());
            transition(engine, &row, active, EventKind::DomainLapsed, actor).await
        }
    }
}

/// A state change, with its audit entry and lifecycle event in the same
/// transaction. Verifying a name another tenant holds verified fails on the
/// unique index and leaves the domain pending.
async fn transition(
    engine: &Engine,
    row: &tenant_domain::Model,
    active: tenant_domain::ActiveModel,
    kind: EventKind,
    actor: &str,
) -> Result<tenant_domain::Model> {
    let tenant = TenantId::from_uuid(row.tenant);
    let slug = crate::catalog::resolve::load_record_by_id(engine, tenant)
        .await?
        .map(|t| t.slug.to_string())
        .unwrap_or_default();
    let txn = engine.records_of(tenant).await?;
    let updated = match active.update(&txn).await {
        Ok(updated) => updated,
        Err(e) if violated_unique_constraint(&e).is_some() => {
            drop(txn);
            let mut active = row.clone().into_active_model();
            active.checked_at = Set(Some(chrono::Utc::now()));
            active.last_error = Set(Some(
                "this host name is verified by another workspace".into(),
            ));
            return save(engine, row, active).await;
        }
        Err(e) => return Err(e.into()),
    };
    let data = json!({ "hostname": updated.hostname, "state": updated.state });
    audit::record_in(
        &txn,
        actor,
        kind.as_str(),
        Some(tenant),
        &format!("hostname={}", updated.hostname),
    )
    .await?;
    outbox::append(&txn, tenant, &slug, kind, actor, data).await?;
    txn.commit().await?;
    engine.tenant_changed(tenant);
    engine.events().wake();
    Ok(updated)
}

/// Saves a check's outcome that changes no state.
async fn save(
    engine: &Engine,
    row: &tenant_domain::Model,
    active: tenant_domain::ActiveModel,
) -> Result<tenant_domain::Model> {
    engine
        .on_records(TenantId::from_uuid(row.tenant), async |records| {
            Ok(active.update(records).await?)
        })
        .await
}
