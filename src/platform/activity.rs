//! What the console shows of tenants' activity and cost, from the cost
//! ledger: one tenant's request rate, error rate, p95 latency and share of
//! the platform's cost over the last hour, day or month, and the noisiest
//! tenants by each cost.

use crate::entities::catalog::tenant;
use crate::error::{Error, Result};
use crate::observe::costs::Cost;
use crate::tenancy::cost_ledger::{self, Measure, Span};
use crate::tenancy::{Engine, TenantId};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// The span of time a view covers, ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hour,
    Day,
    Month,
}

impl Period {
    /// `hour`, `day` (also empty) or `month`; anything else is bad input of
    /// the field `period`.
    pub fn parse(word: &str) -> Result<Self> {
        match word.trim() {
            "hour" => Ok(Period::Hour),
            "" | "day" => Ok(Period::Day),
            "month" => Ok(Period::Month),
            _ => Err(Error::invalid("period", "hour, day or month")),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Month => "month",
        }
    }

    /// The ledger rows it reads.
    fn span(self) -> Span {
        match self {
            Period::Hour => Span::Minute,
            Period::Day | Period::Month => Span::Hour,
        }
    }

    /// One point of its charts: a minute, an hour, a day.
    pub fn step(self) -> Duration {
        match self {
            Period::Hour => Duration::minutes(1),
            Period::Day => Duration::hours(1),
            Period::Month => Duration::days(1),
        }
    }

    fn points(self) -> i64 {
        match self {
            Period::Hour => 60,
            Period::Day => 24,
            Period::Month => 30,
        }
    }

    /// The start of each point, oldest first, the last holding `now`.
    pub fn steps(self, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let step = self.step().num_seconds();
        let last = now.timestamp().div_euclid(step) * step;
        (0..self.points())
            .rev()
            .filter_map(|n| DateTime::from_timestamp(last - n * step, 0))
            .collect()
    }
}

/// One tenant's activity over a period.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Every point of the period, oldest first; a quiet one is zero.
    pub points: Vec<(DateTime<Utc>, Cost)>,
    pub total: Cost,
    /// Every tenant together, over the same period.
    pub platform: Cost,
}

impl Activity {
    /// The tenant's share of the platform's CPU and database time, in
    /// percent (what it cost, as a share of what everyone cost).
    pub fn cost_share(&self) -> f64 {
        let busy = |c: &Cost| (c.request_cpu_micros + c.job_cpu_micros + c.db_micros) as f64;
        match busy(&self.platform) {
            0.0 => 0.0,
            all => 100.0 * busy(&self.total) / all,
        }
    }
}

/// `tenant`'s activity over `period` ending at `now`.
pub async fn of_tenant(
    engine: &Engine,
    tenant: TenantId,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Activity> {
    let steps = period.steps(now);
    let since = steps.first().copied().unwrap_or(now);
    let rows = cost_ledger::series(engine, tenant, period.span(), since).await?;
    let step = period.step().num_seconds();
    let mut by_step: HashMap<i64, Cost> = HashMap::new();
    let mut total = Cost::default();
    for (at, cost) in &rows {
        let key = at.timestamp().div_euclid(step) * step;
        by_step.entry(key).or_default().add(cost);
        total.add(cost);
    }
    let points = steps
        .into_iter()
        .map(|at| (at, by_step.remove(&at.timestamp()).unwrap_or_default()))
        .collect();
    let platform = cost_ledger::platform_total(engine, period.span(), since).await?;
    Ok(Activity {
        points,
        total,
        platform,
    })
}

/// A tenant among the noisiest.
#[derive(Debug, Clone)]
pub struct Noisy {
    pub tenant: Uuid,
    pub slug: String,
    pub name: String,
    pub cost: Cost,
}

/// The `limit` noisiest tenants of `period` by each measure, and what every
/// tenant cost together.
pub async fn noisiest(
    engine: &Engine,
    period: Period,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<(Vec<(Measure, Vec<Noisy>)>, Cost)> {
    let since = period.steps(now).first().copied().unwrap_or(now);
    let mut ranked = Vec::new();
    for measure in Measure::ALL {
        ranked.push((
            measure,
            cost_ledger::noisiest(engine, measure, period.span(), since, limit).await?,
        ));
    }
    let ids: Vec<Uuid> = ranked
        .iter()
        .flat_map(|(_, r)| r.iter().map(|(t, _)| *t))
        .collect();
    let names: HashMap<Uuid, (String, String)> = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ids))
        .all(engine.platform_tables())
        .await?
        .into_iter()
        .map(|t| (t.id, (t.slug, t.name)))
        .collect();
    let tables = ranked
        .into_iter()
        .map(|(measure, rows)| {
            let rows = rows
                .into_iter()
                .filter_map(|(tenant, cost)| {
                    let (slug, name) = names.get(&tenant)?.clone();
                    Some(Noisy {
                        tenant,
                        slug,
                        name,
                        cost,
                    })
                })
                .collect();
            (measure, rows)
        })
        .collect();
    let platform = cost_ledger::platform_total(engine, period.span(), since).await?;
    Ok((tables, platform))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_have_their_points_and_refuse_other_words() {
        let now = DateTime::from_timestamp(1_800_000_000 + 95, 0).expect("time");
        let hour = Period::Hour.steps(now);
        assert_eq!(hour.len(), 60);
        assert_eq!(hour.last().map(|t| t.timestamp()), Some(1_800_000_060));
        assert_eq!(Period::Day.steps(now).len(), 24);
        assert_eq!(Period::Month.steps(now).len(), 30);
        assert_eq!(Period::parse("").ok(), Some(Period::Day));
        assert!(Period::parse("week").is_err());
    }
}
