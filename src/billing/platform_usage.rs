//! Usage the platform records about each tenant, through the same events as
//! a sender's: seats (the member count, from each change on), API calls
//! (counted in memory, flushed as one event per tenant every few seconds) and
//! storage bytes.

use super::usage::{self, Event};
use crate::entities::tenant::{membership, usage_event};
use crate::error::Result;
use crate::plans::meters::{API_CALLS, SEATS, STORAGE_BYTES};
use crate::tenancy::{Engine, TenantCtx, TenantDb, TenantId};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use uuid::Uuid;

fn platform_event(meter: &str, quantity: i64) -> Event {
    Event {
        id: format!("{meter}:{}", Uuid::now_v7()),
        meter: meter.to_owned(),
        quantity,
        occurred_at: Utc::now().trunc_subsecs(0),
        properties: BTreeMap::new(),
    }
}

/// Records the tenant's member count as of now, in the caller's transaction
/// (so that it commits or rolls back with the change that caused it).
pub async fn record_seats(db: &TenantDb) -> Result<()> {
    let seats = seats(db).await? as i64;
    usage::store(db, &[platform_event(SEATS, seats)]).await?;
    Ok(())
}

/// The seats the tenant is billed for: one per membership, whatever its
/// role.
pub(crate) async fn seats(db: &TenantDb) -> Result<u64> {
    Ok(membership::Entity::find().count(db).await?)
}

/// Records the tenant's stored bytes as of now, when they changed since the
/// last record (a snapshot per change, not per check).
pub async fn record_storage(ctx: &TenantCtx) -> Result<()> {
    let bytes = ctx.engine().storage().of(ctx).bytes().await? as i64;
    // What the tenant stores is part of what it costs (the cost ledger).
    ctx.engine()
        .observer()
        .storage(ctx.id().uuid(), u64::try_from(bytes).unwrap_or(0));
    let db = ctx.db().await?;
    let last = usage_event::Entity::find()
        .filter(usage_event::Column::Meter.eq(STORAGE_BYTES))
        .order_by_desc(usage_event::Column::OccurredAt)
        .order_by_desc(usage_event::Column::ReceivedAt)
        .one(&db)
        .await?;
    if last.is_none_or(|e| e.quantity != bytes) {
        usage::store(&db, &[platform_event(STORAGE_BYTES, bytes)]).await?;
    }
    db.commit().await?;
    Ok(())
}

/// The hourly pass over every active tenant (from [`super::run`]): records
/// its stored bytes, and deletes its usage events older than
/// `usage_retention_days`. A tenant that fails is logged and retried next
/// hour; the others go on.
pub async fn hourly(engine: &Engine, now: DateTime<Utc>) -> Result<()> {
    use crate::entities::catalog::tenant;
    let cutoff = now - chrono::Duration::days(engine.settings().usage_retention_days.into());
    let active = tenant::Entity::find()
        .filter(tenant::Column::State.eq(crate::tenancy::TenantState::Active.as_str()))
        .all(engine.platform_tables())
        .await?;
    for t in active {
        let ctx = engine.ctx_for(TenantId::from_uuid(t.id)).await?;
        // Purged first: the snapshot after it then compares with what is
        // still kept.
        if let Err(e) = purge_expired(&ctx, cutoff).await {
            tracing::warn!(tenant_id = %t.id, error = %e, "old usage events not purged; tried again next hour");
        }
        if let Err(e) = record_storage(&ctx).await {
            tracing::warn!(tenant_id = %t.id, error = %e, "storage usage not recorded; tried again next hour");
        }
    }
    Ok(())
}

async fn purge_expired(ctx: &TenantCtx, cutoff: DateTime<Utc>) -> Result<()> {
    let db = ctx.db().await?;
    usage::purge_before(&db, cutoff).await?;
    db.commit().await?;
    Ok(())
}

/// The seat count at each change, from the last one before `from` up to
/// `to`: `(since, seats)`, in time order.
pub async fn seat_changes(
    db: &TenantDb,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64)>> {
    let before = usage_event::Entity::find()
        .filter(usage_event::Column::Meter.eq(SEATS))
        .filter(usage_event::Column::OccurredAt.lt(from))
        .order_by_desc(usage_event::Column::OccurredAt)
        .order_by_desc(usage_event::Column::ReceivedAt)
        .one(db)
        .await?;
    let within = usage_event::Entity::find()
        .filter(usage_event::Column::Meter.eq(SEATS))
        .filter(usage_event::Column::OccurredAt.gte(from))
        .filter(usage_event::Column::OccurredAt.lt(to))
        .order_by_asc(usage_event::Column::OccurredAt)
        .order_by_asc(usage_event::Column::ReceivedAt)
        .all(db)
        .await?;
    Ok(before
        .into_iter()
        .map(|e| (from, e.quantity))
        .chain(within.into_iter().map(|e| (e.occurred_at, e.quantity)))
        .collect())
}

/// API calls counted in memory per tenant, written as one event per tenant
/// per flush. A crash loses at most one flush interval of counts.
#[derive(Default)]
pub struct ApiCallCounter {
    pending: Mutex<HashMap<TenantId, i64>>,
}

impl ApiCallCounter {
    pub fn count(&self, tenant: TenantId) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.entry(tenant).or_default() += 1;
    }

    /// The calls counted for `tenant` and not written yet.
    pub fn pending(&self, tenant: TenantId) -> i64 {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.get(&tenant).copied().unwrap_or(0)
    }

    /// Writes the pending counts; a tenant whose write fails keeps its count
    /// for the next flush, unless the tenant no longer exists (purged): its
    /// count is dropped, once, with one log line.
    pub async fn flush(&self, engine: &Engine) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (tenant, calls) in pending {
            match write_calls(engine, tenant, calls).await {
                Ok(()) => {}
                Err(crate::Error::NotFound) => {
                    tracing::info!(tenant_id = %tenant, calls, "API calls of a tenant that no longer exists dropped");
                }
                Err(e) => {
                    tracing::warn!(tenant_id = %tenant, error = %e, "API call usage not written yet; kept for the next flush");
                    let mut again = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                    *again.entry(tenant).or_default() += calls;
                }
            }
        }
    }
}

async fn write_calls(engine: &Engine, tenant: TenantId, calls: i64) -> Result<()> {
    let ctx = engine.ctx_for(tenant).await?;
    let db = ctx.db().await?;
    usage::store(&db, &[platform_event(API_CALLS, calls)]).await?;
    db.commit().await?;
    Ok(())
}

/// Flushes the API call counts every few seconds, for as long as the server
/// runs.
pub async fn run(engine: Engine) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        engine.api_calls().flush(&engine).await;
    }
}
