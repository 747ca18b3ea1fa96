//! Server-side bodies of the cost views: the ledger's figures put in words.

use super::api::{ActivityDto, ChartDto, NoisiestDto, NoisyRowDto, NoisyTableDto, PointDto};
use crate::backend::admin;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use tenantry::catalog::tenants;
use tenantry::observe::costs::Cost;
use tenantry::platform::activity::{self, Activity, Period};
use tenantry::tenancy::cost_ledger::Measure;

/// Rows each noisiest table lists.
const NOISIEST: u64 = 10;

pub async fn noisiest_tenants(period: String) -> Result<NoisiestDto, AppError> {
    let period = Period::parse(&period)?;
    let (engine, _) = admin().await?;
    let (tables, platform) = activity::noisiest(&engine, period, Utc::now(), NOISIEST).await?;
    let tables = tables
        .into_iter()
        .map(|(measure, rows)| {
            let all = measure.of(&platform);
            NoisyTableDto {
                key: key_of(measure).into(),
                title: title_of(measure).into(),
                rows: rows
                    .into_iter()
                    .map(|n| {
                        let value = measure.of(&n.cost);
                        NoisyRowDto {
                            slug: n.slug,
                            name: n.name,
                            value: in_words(measure, value),
                            share: percent(value as f64, all as f64),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(NoisiestDto {
        period: period.word().into(),
        tables,
    })
}

pub async fn tenant_activity(slug: String, period: String) -> Result<ActivityDto, AppError> {
    let period = Period::parse(&period)?;
    let (engine, _) = admin().await?;
    let (summary, _) = tenants::get(&engine, &slug).await?;
    let found = activity::of_tenant(&engine, summary.id, period, Utc::now()).await?;
    Ok(ActivityDto {
        slug: summary.slug,
        name: summary.name,
        period: period.word().into(),
        charts: charts(&found, period),
    })
}

/// Request rate, error rate, p95 latency and cost share, point by point.
fn charts(a: &Activity, period: Period) -> Vec<ChartDto> {
    let per = match period {
        Period::Hour => "minute",
        Period::Day => "hour",
        Period::Month => "day",
    };
    let label = |at: &DateTime<Utc>| match period {
        Period::Hour | Period::Day => at.format("%H:%M").to_string(),
        Period::Month => at.format("%b %-d").to_string(),
    };
    let series = |value: &dyn Fn(&Cost) -> Option<f64>, text: &dyn Fn(f64) -> String| {
        a.points
            .iter()
            .map(|(at, cost)| {
                let v = value(cost);
                PointDto {
                    at: label(at),
                    value: v.unwrap_or(0.0),
                    text: v.map_or_else(|| "no requests".into(), text),
                }
            })
            .collect::<Vec<_>>()
    };
    let requests = |n: f64| plural(n as u64, "request");
    let error_rate =
        |c: &Cost| (c.requests > 0).then(|| 100.0 * c.errors as f64 / c.requests as f64);
    let p95 = |c: &Cost| c.latency_quantile_ms(0.95).map(|ms| ms as f64);
    let busy = |c: &Cost| (c.request_cpu_micros + c.job_cpu_micros + c.db_micros) as f64;
    let platform_busy = busy(&a.platform);
    vec![
        ChartDto {
            key: "requests".into(),
            title: "Requests".into(),
            summary: format!(
                "{} in the last {}",
                requests(a.total.requests as f64),
                period.word()
            ),
            legend: format!("requests per {per}"),
            points: series(&|c| Some(c.requests as f64), &requests),
        },
        ChartDto {
            key: "errors".into(),
            title: "Error rate".into(),
            summary: match error_rate(&a.total) {
                Some(rate) => format!("{rate:.1} % of requests failed (5xx)"),
                None => "no requests".into(),
            },
            legend: format!("share of requests that failed (5xx), per {per}"),
            points: series(&error_rate, &|rate| format!("{rate:.1} %")),
        },
        ChartDto {
            key: "latency".into(),
            title: "p95 latency".into(),
            summary: match p95(&a.total) {
                Some(ms) => format!("95 % of requests within {ms} ms"),
                None => "no requests".into(),
            },
            legend: format!("p95 latency in ms, per {per} (up to the bucket's bound)"),
            points: series(&p95, &|ms| format!("{ms} ms")),
        },
        ChartDto {
            key: "share".into(),
            title: "Cost share".into(),
            summary: format!(
                "{:.1} % of the platform's CPU and database time",
                a.cost_share()
            ),
            legend: format!(
                "share of the platform's CPU and database time, per {per} (of the period's)"
            ),
            points: series(
                &|c| (platform_busy > 0.0).then(|| 100.0 * busy(c) / platform_busy),
                &|share| format!("{share:.2} %"),
            ),
        },
    ]
}

fn key_of(measure: Measure) -> &'static str {
    match measure {
        Measure::Cpu => "cpu",
        Measure::DbTime => "db_time",
        Measure::DbRows => "db_rows",
        Measure::Egress => "egress",
        Measure::Storage => "storage",
        Measure::Requests => "requests",
    }
}

fn title_of(measure: Measure) -> &'static str {
    match measure {
        Measure::Cpu => "CPU time",
        Measure::DbTime => "Database time",
        Measure::DbRows => "Rows touched",
        Measure::Egress => "Bytes sent",
        Measure::Storage => "Storage",
        Measure::Requests => "Requests",
    }
}

/// A measure's value in words with its unit.
fn in_words(measure: Measure, value: u64) -> String {
    match measure {
        Measure::Cpu | Measure::DbTime => seconds(value),
        Measure::DbRows => plural(value, "row"),
        Measure::Egress | Measure::Storage => bytes(value),
        Measure::Requests => plural(value, "request"),
    }
}

fn seconds(micros: u64) -> String {
    match micros {
        0..1_000 => format!("{micros} µs"),
        1_000..1_000_000 => format!("{:.1} ms", micros as f64 / 1e3),
        _ => format!("{:.2} s", micros as f64 / 1e6),
    }
}

fn bytes(n: u64) -> String {
    match n {
        0..1_000 => plural(n, "byte"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

fn plural(n: u64, one: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        _ => format!("{n} {one}s"),
    }
}

fn percent(part: f64, all: f64) -> String {
    match all > 0.0 {
        true => format!("{:.1} %", 100.0 * part / all),
        false => "–".into(),
    }
}
