//! Custom domains. A tenant admin (portal) or a superadmin (console) adds a
//! host name; the platform shows a TXT record to create,
//! `<domain_challenge_label>.<host>` holding a fresh random token, and the
//! CNAME target. "Verify" (and a background re-check with back-off) looks the
//! record up with a real resolver. States: pending → verified → (re-checks
//! failing) → lapsed. Only verified domains route to their tenant. See
//! `docs/custom-domains.md`.
//!
//! About 420 lines: a domain's whole life (add, verify, re-check, lapse,
//! primary, remove) around one state machine.

pub mod hostname;

use crate::audit;
use crate::entities::catalog::verified_host;
use crate::entities::tenant::domain;
use crate::error::{violated_unique_constraint, Error, Result};
use crate::events::relay::{self, Raised};
use crate::events::EventKind;
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{Engine, PlatformUse, TenantCtx, TenantDb, TenantId, TenantRecord};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use tenantry_vocab::DomainState;

pub const PENDING: &str = DomainState::Pending.as_str();
pub const VERIFIED: &str = DomainState::Verified.as_str();
pub const LAPSED: &str = DomainState::Lapsed.as_str();

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

fn view(ctx: &TenantCtx, row: &domain::Model) -> DomainView {
    let settings = ctx.engine().settings();
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
            .unwrap_or_else(|| format!("{}.{}", ctx.tenant().slug.as_str(), settings.base_domain)),
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
    let ctx = engine.ctx(tenant.clone());
    let rows = ctx
        .run(false, async |db| {
            Ok(domain::Entity::find()
                .order_by_asc(domain::Column::CreatedAt)
                .all(db)
                .await?)
        })
        .await?;
    Ok(rows.iter().map(|r| view(&ctx, r)).collect())
}

/// Adds a host name to the tenant, pending, with a fresh token.
pub async fn add(
    engine: &Engine,
    tenant: &TenantRecord,
    raw_hostname: &str,
    actor: &str,
) -> Result<DomainView> {
    let hostname = hostname::parse(engine.settings(), raw_hostname)?;
    crate::policy::Effective::of(engine, tenant)
        .await?
        .require_feature(crate::plans::registry::CUSTOM_DOMAINS)?;
    let ctx = engine.ctx(tenant.clone());
    let now = chrono::Utc::now();
    // The re-check loop visits the tenants the directory notes.
    directory::work_due_now(engine, Queue::Domains, ctx.id()).await?;
    let db = ctx.db().await?;
    let row = db
        .insert(domain::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            hostname: Set(hostname.as_str().to_owned()),
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
        .await
        .map_err(|e| match violated_unique_constraint(&e) {
            Some(_) => Error::conflict("hostname", "this host name is already added"),
            None => e.into(),
        })?;
    let detail = format!("hostname={hostname}");
    relay::raise(&db, Raised::audit("domain.added", actor, &detail)).await?;
    audit::record_tenant(&db, actor, "domain.added", hostname.as_str()).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    Ok(view(&ctx, &row))
}

/// The tenant's domain `id`; another tenant's is not found.
async fn find(db: &TenantDb, id: uuid::Uuid) -> Result<domain::Model> {
    domain::Entity::find()
        .filter(domain::Column::Id.eq(id))
        .one(db)
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
    let ctx = engine.ctx(tenant.clone());
    let row = ctx.run(false, async |db| find(db, id).await).await?;
    let row = check(&ctx, row, actor).await?;
    Ok(view(&ctx, &row))
}

/// Removes the domain; it stops routing at once.
pub async fn remove(
    engine: &Engine,
    tenant: &TenantRecord,
    id: uuid::Uuid,
    actor: &str,
) -> Result<()> {
    let ctx = engine.ctx(tenant.clone());
    let row = ctx.run(false, async |db| find(db, id).await).await?;
    // Routing stops first: a failure after this leaves a domain that
    // routes nowhere, never a route to a domain that is gone.
    release(&ctx, &row.hostname).await?;
    let db = ctx.db().await?;
    domain::Entity::delete_many()
        .filter(domain::Column::Id.eq(row.id))
        .exec(&db)
        .await?;
    let detail = format!("hostname={}", row.hostname);
    relay::raise(&db, Raised::audit("domain.removed", actor, &detail)).await?;
    audit::record_tenant(&db, actor, "domain.removed", &row.hostname).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
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
    let ctx = engine.ctx(tenant.clone());
    let db = ctx.db().await?;
    let row = find(&db, id).await?;
    if row.state != VERIFIED {
        return Err(Error::invalid(
            "hostname",
            "only a verified domain can be the primary host",
        ));
    }
    let before = domain::Entity::find()
        .filter(domain::Column::IsPrimary.eq(true))
        .one(&db)
        .await?
        .map(|d| d.hostname)
        .unwrap_or_default();
    domain::Entity::update_many()
        .col_expr(domain::Column::IsPrimary, false.into())
        .exec(&db)
        .await?;
    let mut active = row.clone().into_active_model();
    active.is_primary = Set(true);
    let row = active.update(&db).await?;
    let detail = format!("hostname={}", row.hostname);
    relay::raise(&db, Raised::audit("domain.primary", actor, &detail)).await?;
    let change = audit::changes(&[("primary host", &before, &row.hostname)]);
    audit::record_tenant(&db, actor, "domain.primary", &change).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    Ok(view(&ctx, &row))
}

/// The tenant's primary host, if it has a verified one, read in `db` (its
/// record's loader).
pub(crate) async fn primary_host(db: &TenantDb) -> Result<Option<String>> {
    Ok(domain::Entity::find()
        .filter(domain::Column::IsPrimary.eq(true))
        .filter(domain::Column::State.eq(VERIFIED))
        .one(db)
        .await?
        .map(|row| row.hostname))
}

/// The tenant that holds `host` verified, if any.
pub(crate) async fn verified_tenant(engine: &Engine, host: &str) -> Result<Option<TenantId>> {
    let found = engine
        .on_platform(PlatformUse::Directory, async |db| {
            Ok(verified_host::Entity::find_by_id(host.to_owned())
                .one(db)
                .await?)
        })
        .await?;
    Ok(found.map(|row| TenantId::from_uuid(row.tenant)))
}

/// Claims `hostname` for `ctx`'s tenant in the directory; false when
/// another tenant holds it verified. Claiming a name it holds already is a
/// no-op.
async fn claim(ctx: &TenantCtx, hostname: &str) -> Result<bool> {
    ctx.on_records(async |records| {
        let entry = records.stamp(verified_host::ActiveModel {
            hostname: Set(hostname.to_owned()),
            verified_at: Set(chrono::Utc::now()),
            ..Default::default()
        });
        verified_host::Entity::insert(entry)
            .on_conflict_do_nothing()
            .exec_without_returning(records)
            .await?;
        // Its own entries only: another tenant's claim is not visible.
        let held = records
            .find::<verified_host::Entity>()
            .filter(verified_host::Column::Hostname.eq(hostname))
            .one(records)
            .await?;
        Ok(held.is_some())
    })
    .await
}

/// Withdraws `ctx`'s tenant's claim on `hostname`, if it holds one.
async fn release(ctx: &TenantCtx, hostname: &str) -> Result<()> {
    ctx.on_records(async |records| {
        records
            .delete::<verified_host::Entity>()
            .filter(verified_host::Column::Hostname.eq(hostname))
            .exec(records)
            .await?;
        Ok(())
    })
    .await
}

/// One pass of the re-check loop: every tenant the directory notes with a
/// check due, and in each its domains due (pending ones with back-off,
/// verified ones periodically, lapsed ones in case they come back). Returns
/// how many were checked.
pub async fn recheck_due(engine: &Engine) -> Result<usize> {
    directory::visit_due(engine, Queue::Domains, 50, |ctx| async move {
        recheck_tenant(&ctx).await
    })
    .await
}

async fn recheck_tenant(ctx: &TenantCtx) -> Result<(usize, directory::NextDue)> {
    let now = chrono::Utc::now();
    let due = ctx
        .run(false, async |db| {
            Ok(domain::Entity::find()
                .filter(domain::Column::NextCheckAt.lte(now))
                .order_by_asc(domain::Column::NextCheckAt)
                .limit(200)
                .all(db)
                .await?)
        })
        .await?;
    let count = due.len();
    for row in due {
        let (id, hostname) = (row.id, row.hostname.clone());
        if let Err(e) = check(ctx, row, "maintenance").await {
            tracing::error!(tenant_id = %ctx.id(), domain = %id, hostname, error = ?e, "domain re-check failed");
        }
    }
    let next = ctx
        .run(false, async |db| {
            Ok(domain::Entity::find()
                .order_by_asc(domain::Column::NextCheckAt)
                .one(db)
                .await?)
        })
        .await?
        .map(|row| row.next_check_at);
    Ok((count, next))
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
async fn check(ctx: &TenantCtx, row: domain::Model, actor: &str) -> Result<domain::Model> {
    let engine = ctx.engine();
    let settings = engine.settings();
    let name = format!("{}.{}", settings.domain_challenge_label, row.hostname);
    let found = match crate::outbound::dns::TxtResolver::new(settings) {
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
            // Verifying a name another tenant holds verified leaves the
            // domain as it was, saying why.
            if !claim(ctx, &row.hostname).await? {
                active.last_error = Set(Some(
                    "this host name is verified by another workspace".into(),
                ));
                return save(ctx, active).await;
            }
            active.failures = Set(0);
            active.last_error = Set(None);
            let recheck = i64::try_from(settings.domain_recheck_secs).unwrap_or(86_400);
            active.next_check_at = Set(now + chrono::Duration::seconds(recheck));
            if row.state == VERIFIED {
                return save(ctx, active).await;
            }
            active.state = Set(VERIFIED.into());
            active.verified_at = Set(Some(now));
            transition(ctx, active, EventKind::DomainVerified, actor).await
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
                return save(ctx, active).await;
            }
            release(ctx, &row.hostname).await?;
            active.state = Set(LAPSED.into());
            transition(ctx, active, EventKind::DomainLapsed, actor).await
        }
    }
}

/// A state change, with its audit entry and lifecycle event raised in the
/// same transaction of the tenant's plane.
async fn transition(
    ctx: &TenantCtx,
    active: domain::ActiveModel,
    kind: EventKind,
    actor: &str,
) -> Result<domain::Model> {
    let db = ctx.db().await?;
    let updated = active.update(&db).await?;
    let detail = format!("hostname={}", updated.hostname);
    let event = Raised {
        kind: Some(kind),
        actor,
        data: json!({ "hostname": updated.hostname, "state": updated.state }),
        audit_action: Some(kind.as_str()),
        audit_detail: &detail,
    };
    relay::raise(&db, event).await?;
    db.commit().await?;
    relay::relay_now(ctx).await;
    Ok(updated)
}

/// Saves a check's outcome that changes no state.
async fn save(ctx: &TenantCtx, active: domain::ActiveModel) -> Result<domain::Model> {
    ctx.run_for_platform(async |db| Ok(active.update(db).await?))
        .await
}
