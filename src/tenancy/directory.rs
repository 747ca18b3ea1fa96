//! Directory entries: what lets the platform find a tenant from something
//! presented to it, or find the tenants with work waiting, without reading
//! any tenant's rows. They hold no secret and no personal data; whatever they
//! point at is read inside that tenant's own `TenantDb`. On PostgreSQL they
//! are behind the wall (catalog m0016) and read here only, through the
//! platform path ([`PlatformDb`](super::PlatformDb)).

use super::{CatalogScope, Engine, PlatformDb, PlatformUse, TenantCtx, TenantId};
use crate::entities::catalog::{api_key_prefix, work_due};
use crate::error::{Error, Result};
use sea_orm::sea_query::{ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, Statement,
};

/// Records that the key with this visible prefix belongs to `tenant`.
pub async fn register_key_prefix(engine: &Engine, tenant: TenantId, prefix: &str) -> Result<()> {
    let entry = api_key_prefix::ActiveModel {
        prefix: Set(prefix.to_owned()),
        tenant: Set(tenant.uuid()),
        created_at: Set(chrono::Utc::now()),
    };
    engine
        .on_platform(PlatformUse::Directory, async |db| {
            api_key_prefix::Entity::insert(entry)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
            Ok(())
        })
        .await
}

/// The tenant a key prefix belongs to, if any.
pub async fn tenant_of_key_prefix(engine: &Engine, prefix: &str) -> Result<Option<TenantId>> {
    let entry = engine
        .on_platform(PlatformUse::Directory, async |db| {
            Ok(api_key_prefix::Entity::find_by_id(prefix.to_owned())
                .one(db)
                .await?)
        })
        .await?;
    Ok(entry.map(|row| TenantId::from_uuid(row.tenant)))
}

/// A tenant's background queue that the directory notes work for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Finished export archives to remove when they expire.
    Exports,
    /// Events raised in the tenant's plane, to relay into the platform's
    /// event log (`crate::events::relay`).
    Relay,
    /// Custom domains whose DNS check is due (`crate::domains`).
    Domains,
    /// The close of the tenant's last billing period (`crate::billing`).
    Invoices,
    /// The end of a past-due account's grace period (`crate::billing`).
    Billing,
    /// The tenant's background jobs (`crate::jobs`).
    Jobs,
    /// Not work: a mark that the tenant has jobs out of attempts, set when
    /// one dies and lifted when none is left, so that the console counts
    /// them from the directory without opening every tenant.
    FailedJobs,
}

impl Queue {
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Exports => "exports",
            Queue::Relay => "relay",
            Queue::Domains => "domains",
            Queue::Invoices => "invoices",
            Queue::Billing => "billing",
            Queue::Jobs => "jobs",
            Queue::FailedJobs => "failed_jobs",
        }
    }
}

/// Notes that `tenant` has work due now in `queue`. Written beside the
/// transaction that creates the work, possibly before it commits: a pass
/// that finds nothing leaves a young entry for a second look (see
/// [`rescheduled`]).
pub async fn work_due_now(engine: &Engine, queue: Queue, tenant: TenantId) -> Result<()> {
    work_due_at(engine, queue, tenant, chrono::Utc::now()).await
}

/// Notes that `tenant` has work due at `due` in `queue` (replacing what
/// was noted).
pub async fn work_due_at(
    engine: &Engine,
    queue: Queue,
    tenant: TenantId,
    due: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    engine
        .on_platform(PlatformUse::Maintenance(queue.as_str()), async |db| {
            note_due_in(db, queue, tenant, due).await
        })
        .await
}

/// [`work_due_at`] inside a transaction that is already open on the
/// catalog (the one creating the tenant).
pub(crate) async fn note_due_in(
    conn: &impl CatalogScope,
    queue: Queue,
    tenant: TenantId,
    due: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let mut upsert = OnConflict::columns([work_due::Column::Tenant, work_due::Column::Queue]);
    upsert.update_columns([work_due::Column::DueAt, work_due::Column::NotedAt]);
    let entry = work_due::ActiveModel {
        queue: Set(queue.as_str().to_owned()),
        due_at: Set(due),
        noted_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    work_due::Entity::insert(conn.stamp_about(tenant, entry)?)
        .on_conflict(upsert)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Removes `tenant`'s entry in `queue`, whatever it says.
pub async fn work_gone(engine: &Engine, queue: Queue, tenant: TenantId) -> Result<()> {
    engine
        .on_platform(PlatformUse::Maintenance(queue.as_str()), async |db| {
            work_due::Entity::delete_many()
                .filter(work_due::Column::Tenant.eq(tenant.uuid()))
                .filter(work_due::Column::Queue.eq(queue.as_str()))
                .exec(db)
                .await?;
            Ok(())
        })
        .await
}

/// How long a fresh entry may point at work not yet committed.
const YOUNG_HINT_SECS: i64 = 30;

/// Tenants with work due in `queue` by `now`, earliest first, with when work
/// was last noted for each.
pub async fn tenants_with_work_due(
    engine: &Engine,
    queue: Queue,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<(TenantId, chrono::DateTime<chrono::Utc>)>> {
    let due = engine
        .on_platform(PlatformUse::Maintenance(queue.as_str()), async |db| {
            Ok(work_due::Entity::find()
                .filter(work_due::Column::Queue.eq(queue.as_str()))
                .filter(work_due::Column::DueAt.lte(now))
                .order_by_asc(work_due::Column::DueAt)
                .limit(limit)
                .all(db)
                .await?)
        })
        .await?;
    Ok(due
        .into_iter()
        .map(|row| (TenantId::from_uuid(row.tenant), row.noted_at))
        .collect())
}

/// When a tenant's next work in a queue is due, if any.
pub type NextDue = Option<chrono::DateTime<chrono::Utc>>;

/// One pass of `queue`'s worker: each tenant with work due now (at most
/// `limit`), as a context re-resolved from the catalog, goes to `work`,
/// which says how much it did and when the tenant's next work is due; the
/// entry is then rescheduled. A tenant purged meanwhile is skipped (its entry
/// went with it); one whose work fails is logged and stays due, so it does
/// not hold up the others. Returns the work done, all tenants together.
pub async fn visit_due<F, Fut>(engine: &Engine, queue: Queue, limit: u64, work: F) -> Result<usize>
where
    // A closure returning a future rather than an async closure: the
    // workers' futures must stay `Send` for `tokio::spawn`.
    F: FnMut(TenantCtx) -> Fut,
    Fut: std::future::Future<Output = Result<(usize, NextDue)>>,
{
    visit_due_by(engine, queue, chrono::Utc::now(), limit, work).await
}

/// Like [`visit_due`], for the work due by `now` (the billing loops, whose
/// tests run them at a later time).
pub async fn visit_due_by<F, Fut>(
    engine: &Engine,
    queue: Queue,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
    mut work: F,
) -> Result<usize>
where
    F: FnMut(TenantCtx) -> Fut,
    Fut: std::future::Future<Output = Result<(usize, NextDue)>>,
{
    let mut done = 0;
    for (tenant, noted) in tenants_with_work_due(engine, queue, now, limit).await? {
        let outcome = match engine.ctx_for(tenant).await {
            Ok(ctx) => work(ctx).await,
            Err(Error::NotFound) => continue,
            Err(e) => Err(e),
        };
        match outcome {
            Ok((n, next)) => {
                done += n;
                rescheduled(engine, queue, tenant, noted, next).await?;
            }
            Err(e) => tracing::error!(
                tenant_id = %tenant,
                queue = queue.as_str(),
                error = ?e,
                "a tenant's background work failed"
            ),
        }
    }
    Ok(done)
}

/// After a pass over `tenant`'s `queue`: its next due time, or, with none,
/// the entry goes. Unless work was noted since the pass read the entry
/// (`seen`, its `noted_at`), and unless that was so recent that the work may
/// not have committed yet: then it is looked at again shortly.
pub async fn rescheduled(
    engine: &Engine,
    queue: Queue,
    tenant: TenantId,
    seen: chrono::DateTime<chrono::Utc>,
    next: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    let this = work_due::Column::Tenant
        .eq(tenant.uuid())
        .and(work_due::Column::Queue.eq(queue.as_str()));
    let unchanged = work_due::Column::NotedAt.eq(seen);
    let now = chrono::Utc::now();
    let young = seen > now - chrono::Duration::seconds(YOUNG_HINT_SECS);
    let next = match (next, young) {
        (None, true) => Some(now + chrono::Duration::seconds(YOUNG_HINT_SECS)),
        (next, _) => next,
    };
    engine
        .on_platform(PlatformUse::Maintenance(queue.as_str()), async |db| {
            match next {
                Some(next) => {
                    work_due::Entity::update_many()
                        .col_expr(
                            work_due::Column::DueAt,
                            sea_orm::sea_query::Expr::value(next),
                        )
                        .filter(this)
                        .filter(unchanged)
                        .exec(db)
                        .await?;
                }
                None => {
                    work_due::Entity::delete_many()
                        .filter(this)
                        .filter(unchanged)
                        .exec(db)
                        .await?;
                }
            }
            Ok(())
        })
        .await
}

/// How many rows of every catalog table that names a tenant (a `tenant`
/// column, enumerated from the database's own catalog, so a new table
/// cannot be missed) name `tenant`, by table, counted in `db` (the purge
/// census's platform transaction; a deletion receipt counts them before and
/// after a purge).
pub async fn catalog_rows_of(db: &PlatformDb, tenant: TenantId) -> Result<Vec<(String, u64)>> {
    let backend = db.get_database_backend();
    let tables = super::records::tables_naming_a_tenant(db).await?;
    let placeholder = match backend {
        DbBackend::Postgres => "$1",
        _ => "?",
    };
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let count = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT count(*) AS n FROM \"{table}\" WHERE tenant = {placeholder}"),
                [tenant.uuid().into()],
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        counts.push((table, count as u64));
    }
    Ok(counts)
}
