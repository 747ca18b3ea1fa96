//! The console's first page: the fleet at a glance, read from the
//! directory alone (grouped counts, no tenant plane opened), so it costs the
//! same at 100 tenants as at 100,000 give or take an index scan.

use crate::entities::catalog::{tenant, webhook_delivery, work_due};
use crate::error::Result;
use crate::tenancy::directory::Queue;
use crate::tenancy::{Engine, PlatformUse};
use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait,
};
use tenantry_vocab::DeliveryState;

/// Weeks of signups and churn the overview shows.
pub const WEEKS: i64 = 8;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Overview {
    pub total: u64,
    pub by_state: Vec<(String, u64)>,
    pub by_plan: Vec<(String, u64)>,
    pub by_placement: Vec<(String, u64)>,
    /// The last [`WEEKS`] weeks, oldest first.
    pub weeks: Vec<Week>,
    /// Tenants whose account with the platform is past due (the billing
    /// queue's entries).
    pub past_due: u64,
    /// Deliveries to the platform's own webhook endpoints that gave up.
    pub failed_deliveries: u64,
    /// Tenants with a background job out of attempts (the directory's mark,
    /// `Queue::FailedJobs`).
    pub tenants_with_failed_jobs: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Week {
    /// Its Monday, `YYYY-MM-DD`.
    pub starts: String,
    pub signups: u64,
    pub churned: u64,
}

async fn counted_by(engine: &Engine, column: tenant::Column) -> Result<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> = tenant::Entity::find()
        .select_only()
        .column(column)
        .column_as(Expr::col(tenant::Column::Id).count(), "n")
        .group_by(column)
        .into_tuple()
        .all(engine.platform_tables())
        .await?;
    let mut counted: Vec<(String, u64)> = rows
        .into_iter()
        .map(|(key, n)| (key, u64::try_from(n).unwrap_or_default()))
        .collect();
    counted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(counted)
}

fn monday_of(at: DateTime<Utc>) -> chrono::NaiveDate {
    let day = at.date_naive();
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

pub async fn overview(engine: &Engine) -> Result<Overview> {
    let by_state = counted_by(engine, tenant::Column::State).await?;
    let total = by_state.iter().map(|(_, n)| n).sum();
    let by_plan = counted_by(engine, tenant::Column::Plan).await?;
    let by_placement = counted_by(engine, tenant::Column::Placement).await?;

    let first = monday_of(Utc::now()) - Duration::weeks(WEEKS - 1);
    let weeks = weekly(engine, first).await?;

    let (past_due, failed_deliveries, tenants_with_failed_jobs) = engine
        .on_platform(PlatformUse::Console, async |db| {
            let marked = async |queue: Queue| {
                work_due::Entity::find()
                    .filter(work_due::Column::Queue.eq(queue.as_str()))
                    .count(db)
                    .await
            };
            let past_due = marked(Queue::Billing).await?;
            let failed_jobs = marked(Queue::FailedJobs).await?;
            let failed = webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::Status.eq(DeliveryState::Failed.as_str()))
                .count(db)
                .await?;
            Ok((past_due, failed, failed_jobs))
        })
        .await?;
    Ok(Overview {
        total,
        by_state,
        by_plan,
        by_placement,
        weeks,
        past_due,
        failed_deliveries,
        tenants_with_failed_jobs,
    })
}

/// Signups and deletions per week from `first`, counted by the database in
/// one statement (one sum per week and kind), not read row by row.
async fn weekly(engine: &Engine, first: chrono::NaiveDate) -> Result<Vec<Week>> {
    let start = |w: i64| {
        (first + Duration::weeks(w))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
    };
    let in_week = |column: tenant::Column, w: i64| {
        Expr::case(
            Expr::col(column)
                .gte(start(w))
                .and(Expr::col(column).lt(start(w + 1))),
            1,
        )
        .finally(0)
    };
    let mut select = tenant::Entity::find().select_only();
    for w in 0..WEEKS {
        select = select
            .column_as(
                SimpleExpr::from(Func::sum(in_week(tenant::Column::CreatedAt, w))),
                format!("s{w}"),
            )
            .column_as(
                SimpleExpr::from(Func::sum(in_week(tenant::Column::DeletedAt, w))),
                format!("c{w}"),
            );
    }
    let since = start(0);
    let select = select.filter(
        tenant::Column::CreatedAt
            .gte(since)
            .or(tenant::Column::DeletedAt.gte(since)),
    );
    let db = engine.platform_tables();
    let row = db
        .query_one_raw(select.build(db.get_database_backend()))
        .await?;
    // A sum over no rows is NULL.
    let count = |key: String| {
        row.as_ref()
            .and_then(|r| r.try_get::<Option<i64>>("", &key).ok().flatten())
            .map_or(0, |n| u64::try_from(n).unwrap_or_default())
    };
    Ok((0..WEEKS)
        .map(|w| Week {
            starts: (first + Duration::weeks(w)).to_string(),
            signups: count(format!("s{w}")),
            churned: count(format!("c{w}")),
        })
        .collect())
}
