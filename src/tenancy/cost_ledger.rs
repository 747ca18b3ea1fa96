//! The cost ledger: what each tenant cost, written down from each instance's
//! cost book (`observe::costs`) and read back for the console. A record the
//! platform keeps about its tenants (catalog m0027, behind the wall with the
//! platform scope beside it): each flush adds the book's minutes to the
//! tenants' minute rows and hour rows in one platform transaction; the
//! console reads one tenant's rows in its records scope and the noisiest
//! tenants across the fleet through the platform path.

use super::{Engine, PlatformUse, TenantId};
use crate::entities::catalog::tenant_cost as row;
use crate::error::Result;
use crate::observe::costs::{Cost, LATENCY_BOUNDS_MS};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Order, SimpleExpr};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

/// A row's length of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Span {
    Minute,
    Hour,
}

impl Span {
    fn word(self) -> &'static str {
        match self {
            Span::Minute => "m",
            Span::Hour => "h",
        }
    }

    fn seconds(self) -> i64 {
        match self {
            Span::Minute => 60,
            Span::Hour => 3600,
        }
    }

    /// The start of the span `at` falls in.
    pub fn start_of(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let secs = at.timestamp().div_euclid(self.seconds()) * self.seconds();
        DateTime::from_timestamp(secs, 0).unwrap_or(at)
    }
}

/// How long minute rows are kept: the day charts read hour rows.
const MINUTE_ROWS_KEPT: chrono::Duration = chrono::Duration::days(2);
/// Rows one statement writes (each binds 23 values).
const ROWS_PER_STATEMENT: usize = 500;

/// Writes what this instance counted since the last flush; what could not
/// be written goes back into the book for the next. Returns the cells written.
pub async fn flush(engine: &Engine) -> Result<usize> {
    let book = engine.observer().costs();
    let taken = book.take();
    if taken.is_empty() {
        return Ok(0);
    }
    let mut cells: HashMap<(Uuid, Span, DateTime<Utc>), Cost> = HashMap::new();
    for (tenant, minute, cost) in &taken {
        let at = DateTime::from_timestamp(*minute, 0).unwrap_or_else(Utc::now);
        for span in [Span::Minute, Span::Hour] {
            cells
                .entry((*tenant, span, span.start_of(at)))
                .or_default()
                .add(cost);
        }
    }
    let rows: Vec<row::ActiveModel> = cells
        .into_iter()
        .map(|((tenant, span, start), cost)| active(tenant, span, start, &cost))
        .collect();
    let written = rows.len();
    let stored = engine
        .on_platform(PlatformUse::Maintenance("cost ledger"), async |db| {
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                row::Entity::insert_many(chunk.to_vec())
                    .on_conflict(summed_on_conflict())
                    .exec_without_returning(db)
                    .await?;
            }
            Ok(())
        })
        .await;
    match stored {
        Ok(()) => Ok(written),
        Err(e) => {
            // A tenant purged meanwhile fails the batch (its row refers to
            // nothing): the others go back to try again, its own are dropped.
            let live = existing(engine, taken.iter().map(|c| c.0)).await;
            book.put_back(match live {
                Ok(live) => taken.into_iter().filter(|c| live.contains(&c.0)).collect(),
                Err(_) => taken,
            });
            Err(e)
        }
    }
}

/// Which of `tenants` the catalog still has.
async fn existing(
    engine: &Engine,
    tenants: impl Iterator<Item = Uuid>,
) -> Result<std::collections::HashSet<Uuid>> {
    use crate::entities::catalog::tenant;
    let ids: std::collections::HashSet<Uuid> = tenants.collect();
    let found = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .filter(tenant::Column::Id.is_in(ids))
        .into_tuple::<Uuid>()
        .all(engine.platform_tables())
        .await?;
    Ok(found.into_iter().collect())
}

/// Deletes minute rows older than two days and hour rows older than
/// `retention_days`; how many went.
pub async fn trim(engine: &Engine, now: DateTime<Utc>, retention_days: u32) -> Result<u64> {
    let hours_from = now - chrono::Duration::days(i64::from(Ord::max(retention_days, 1)));
    engine
        .on_platform(PlatformUse::Maintenance("cost ledger"), async |db| {
            let old = |span: Span, before: DateTime<Utc>| {
                row::Entity::delete_many()
                    .filter(row::Column::Span.eq(span.word()))
                    .filter(row::Column::StartAt.lt(before))
            };
            let minutes = old(Span::Minute, now - MINUTE_ROWS_KEPT).exec(db).await?;
            let hours = old(Span::Hour, hours_from).exec(db).await?;
            Ok(minutes.rows_affected + hours.rows_affected)
        })
        .await
}

/// One tenant's rows of `span` from `since`, oldest first (its charts).
pub async fn series(
    engine: &Engine,
    tenant: TenantId,
    span: Span,
    since: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, Cost)>> {
    let rows = engine
        .on_records(tenant, async |records| {
            Ok(records
                .find::<row::Entity>()
                .filter(row::Column::Span.eq(span.word()))
                .filter(row::Column::StartAt.gte(since))
                .order_by_asc(row::Column::StartAt)
                .all(records)
                .await?)
        })
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.start_at, cost_of(&r)))
        .collect())
}

/// What can rank the noisiest tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Cpu,
    DbTime,
    DbRows,
    Egress,
    Storage,
    Requests,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::Cpu,
        Measure::DbTime,
        Measure::DbRows,
        Measure::Egress,
        Measure::Storage,
        Measure::Requests,
    ];

    /// The measure's value of a cost.
    pub fn of(self, cost: &Cost) -> u64 {
        match self {
            Measure::Cpu => cost.request_cpu_micros + cost.job_cpu_micros,
            Measure::DbTime => cost.db_micros,
            Measure::DbRows => cost.db_rows,
            Measure::Egress => cost.egress_bytes,
            Measure::Storage => cost.storage_bytes,
            Measure::Requests => cost.requests,
        }
    }

    /// The SQL that ranks by it over summed rows.
    fn ranking(self) -> SimpleExpr {
        let sum = |c: row::Column| SimpleExpr::from(Func::sum(Expr::col(c)));
        match self {
            Measure::Cpu => sum(row::Column::RequestCpuUs).add(sum(row::Column::JobCpuUs)),
            Measure::DbTime => sum(row::Column::DbUs),
            Measure::DbRows => sum(row::Column::DbRows),
            Measure::Egress => sum(row::Column::EgressBytes),
            Measure::Storage => Func::max(Expr::col(row::Column::StorageBytes)).into(),
            Measure::Requests => sum(row::Column::Requests),
        }
    }
}

/// Summed rows of a tenant (or of all of them).
#[derive(Debug, FromQueryResult)]
struct Summed {
    tenant: Option<Uuid>,
    requests: Option<i64>,
    errors: Option<i64>,
    request_cpu_us: Option<i64>,
    jobs: Option<i64>,
    job_cpu_us: Option<i64>,
    db_us: Option<i64>,
    db_statements: Option<i64>,
    db_rows: Option<i64>,
    egress_bytes: Option<i64>,
    storage_bytes: Option<i64>,
}

/// The `limit` tenants that cost most by `measure` in `span` rows from
/// `since`, with what each cost in all, most first.
pub async fn noisiest(
    engine: &Engine,
    measure: Measure,
    span: Span,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(Uuid, Cost)>> {
    let found = engine
        .on_platform(PlatformUse::Console, async |db| {
            Ok(summed(span, since)
                .column(row::Column::Tenant)
                .group_by(row::Column::Tenant)
                .order_by(measure.ranking(), Order::Desc)
                .limit(limit)
                .into_model::<Summed>()
                .all(db)
                .await?)
        })
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|s| Some((s.tenant?, total_of(&s))))
        .filter(|(_, cost)| measure.of(cost) > 0)
        .collect())
}

/// What every tenant cost together in `span` rows from `since` (the
/// denominator of a tenant's share).
pub async fn platform_total(engine: &Engine, span: Span, since: DateTime<Utc>) -> Result<Cost> {
    let found = engine
        .on_platform(PlatformUse::Console, async |db| {
            Ok(summed(span, since).into_model::<Summed>().one(db).await?)
        })
        .await?;
    Ok(found.map(|s| total_of(&s)).unwrap_or_default())
}

fn summed(span: Span, since: DateTime<Utc>) -> sea_orm::Select<row::Entity> {
    use row::Column as C;
    let mut select = row::Entity::find()
        .select_only()
        .filter(C::Span.eq(span.word()))
        .filter(C::StartAt.gte(since));
    for (column, name) in [
        (C::Requests, "requests"),
        (C::Errors, "errors"),
        (C::RequestCpuUs, "request_cpu_us"),
        (C::Jobs, "jobs"),
        (C::JobCpuUs, "job_cpu_us"),
        (C::DbUs, "db_us"),
        (C::DbStatements, "db_statements"),
        (C::DbRows, "db_rows"),
        (C::EgressBytes, "egress_bytes"),
    ] {
        // Cast: PostgreSQL sums bigints as numeric.
        select = select.column_as(
            Func::sum(Expr::col(column)).cast_as(Alias::new("bigint")),
            name,
        );
    }
    select.column_as(
        SimpleExpr::from(Func::max(Expr::col(C::StorageBytes))),
        "storage_bytes",
    )
}

fn total_of(s: &Summed) -> Cost {
    let n = |v: Option<i64>| u64::try_from(v.unwrap_or(0)).unwrap_or(0);
    Cost {
        requests: n(s.requests),
        errors: n(s.errors),
        request_cpu_micros: n(s.request_cpu_us),
        jobs: n(s.jobs),
        job_cpu_micros: n(s.job_cpu_us),
        db_micros: n(s.db_us),
        db_statements: n(s.db_statements),
        db_rows: n(s.db_rows),
        egress_bytes: n(s.egress_bytes),
        storage_bytes: n(s.storage_bytes),
        latency: Default::default(),
    }
}

/// A ledger row as a cost.
fn cost_of(r: &row::Model) -> Cost {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Cost {
        requests: n(r.requests),
        errors: n(r.errors),
        request_cpu_micros: n(r.request_cpu_us),
        jobs: n(r.jobs),
        job_cpu_micros: n(r.job_cpu_us),
        db_micros: n(r.db_us),
        db_statements: n(r.db_statements),
        db_rows: n(r.db_rows),
        egress_bytes: n(r.egress_bytes),
        storage_bytes: n(r.storage_bytes),
        latency: [
            r.lat_10,
            r.lat_25,
            r.lat_50,
            r.lat_100,
            r.lat_250,
            r.lat_500,
            r.lat_1000,
            r.lat_2500,
            r.lat_slower,
        ]
        .map(n),
    }
}

fn active(tenant: Uuid, span: Span, start: DateTime<Utc>, c: &Cost) -> row::ActiveModel {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let lat = |i: usize| Set(n(c.latency[i]));
    debug_assert_eq!(c.latency.len(), LATENCY_BOUNDS_MS.len() + 1);
    let fresh = row::ActiveModel {
        span: Set(span.word().to_owned()),
        start_at: Set(start),
        requests: Set(n(c.requests)),
        errors: Set(n(c.errors)),
        request_cpu_us: Set(n(c.request_cpu_micros)),
        jobs: Set(n(c.jobs)),
        job_cpu_us: Set(n(c.job_cpu_micros)),
        db_us: Set(n(c.db_micros)),
        db_statements: Set(n(c.db_statements)),
        db_rows: Set(n(c.db_rows)),
        egress_bytes: Set(n(c.egress_bytes)),
        storage_bytes: Set(n(c.storage_bytes)),
        lat_10: lat(0),
        lat_25: lat(1),
        lat_50: lat(2),
        lat_100: lat(3),
        lat_250: lat(4),
        lat_500: lat(5),
        lat_1000: lat(6),
        lat_2500: lat(7),
        lat_slower: lat(8),
        ..Default::default()
    };
    super::records::stamped(TenantId::from_uuid(tenant), fresh)
}

/// On an existing (tenant, span, start): the flows add up, storage keeps
/// the larger level.
fn summed_on_conflict() -> OnConflict {
    use row::Column as C;
    let mut on = OnConflict::columns([C::Tenant, C::Span, C::StartAt]);
    let excluded = |c: C| Expr::col((Alias::new("excluded"), c));
    for column in [
        C::Requests,
        C::Errors,
        C::RequestCpuUs,
        C::Jobs,
        C::JobCpuUs,
        C::DbUs,
        C::DbStatements,
        C::DbRows,
        C::EgressBytes,
        C::Lat10,
        C::Lat25,
        C::Lat50,
        C::Lat100,
        C::Lat250,
        C::Lat500,
        C::Lat1000,
        C::Lat2500,
        C::LatSlower,
    ] {
        on.value(
            column,
            Expr::col((row::Entity, column)).add(excluded(column)),
        );
    }
    let kept = Expr::col((row::Entity, C::StorageBytes));
    on.value(
        C::StorageBytes,
        Expr::case(
            excluded(C::StorageBytes).gt(kept.clone()),
            excluded(C::StorageBytes),
        )
        .finally(kept),
    );
    on.to_owned()
}
