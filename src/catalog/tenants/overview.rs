//! The console's first page: the fleet at a glance, read from the
//! directory alone (grouped counts, no tenant plane opened), so it costs the
//! same at 100 tenants as at 100,000 give or take an index scan.

use crate::entities::catalog::{tenant, webhook_delivery, work_due};
use crate::error::Result;
use crate::tenancy::directory::Queue;
use crate::tenancy::{Engine, PlatformUse};
use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
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
    let since = first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let created: Vec<DateTime<Utc>> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::CreatedAt)
        .filter(tenant::Column::CreatedAt.gte(since))
        .into_tuple()
        .all(engine.platform_tables())
        .await?;
    let deleted: Vec<Option<DateTime<Utc>>> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::DeletedAt)
        .filter(tenant::Column::DeletedAt.gte(since))
        .into_tuple()
        .all(engine.platform_tables())
        .await?;
    let weeks = (0..WEEKS)
        .map(|w| {
            let starts = first + Duration::weeks(w);
            let in_week = |at: &DateTime<Utc>| monday_of(*at) == starts;
            Week {
                starts: starts.to_string(),
                signups: created.iter().filter(|at| in_week(at)).count() as u64,
                churned: deleted.iter().flatten().filter(|at| in_week(at)).count() as u64,
            }
        })
        .collect();

    let (past_due, failed_deliveries) = engine
        .on_platform(PlatformUse::Console, async |db| {
            let past_due = work_due::Entity::find()
                .filter(work_due::Column::Queue.eq(Queue::Billing.as_str()))
                .count(db)
                .await?;
            let failed = webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::Status.eq(DeliveryState::Failed.as_str()))
                .count(db)
                .await?;
            Ok((past_due, failed))
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
    })
}
