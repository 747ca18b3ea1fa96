//! Usage ingest and reading, and the invoice preview, for API clients.

use super::auth::Authed;
use super::body::JsonObject;
use super::error::ApiError;
use super::projects::reply;
use axum::body::Bytes;
use axum::extract::{Extension, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use tenantry::billing::period::Period;
use tenantry::billing::{invoices, usage};
use tenantry::tenancy::Engine;
use tenantry::Error;

/// `POST /api/v1/usage` with `{"events": [...]}`: every event is checked on
/// its own; the valid ones are stored (durably, once per id) before the
/// response, the others come back with their field and reason.
pub async fn ingest(
    auth: Authed,
    Extension(engine): Extension<Engine>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let policy = engine.policy().await?;
    let rules = usage::Rules {
        meters: &policy.meters,
        now: chrono::Utc::now(),
        late_hours: engine.settings().usage_late_hours,
        platform: false,
    };
    // The body is read inside the run: a caller without the need learns
    // nothing from how it is checked.
    let report = auth
        .run(async |db, _| {
            let body = JsonObject::parse(&body)?;
            let Some(Value::Array(batch)) = body.get("events") else {
                return Err(Error::invalid(
                    "events",
                    "is required: an array of usage events",
                ));
            };
            usage::ingest(db, batch, &rules).await
        })
        .await?;
    reply(StatusCode::OK, "ingest", report)
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
}

fn period_of(query: &PeriodQuery) -> tenantry::Result<Period> {
    match query.period.as_deref() {
        None | Some("") => Ok(Period::containing(chrono::Utc::now())),
        Some(label) => Period::parse(label)
            .ok_or_else(|| Error::invalid("period", "must be a month such as 2026-11")),
    }
}

/// `GET /api/v1/usage?period=2026-11`: each meter's total and daily series.
pub async fn read(
    auth: Authed,
    Extension(engine): Extension<Engine>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, ApiError> {
    let period = period_of(&query)?;
    let policy = engine.policy().await?;
    let meters = auth
        .run(async |db, _| usage::summary(&policy.meters, db, period).await)
        .await?;
    reply(
        StatusCode::OK,
        "usage",
        serde_json::json!({ "period": period.label(), "meters": meters }),
    )
}

/// `GET /api/v1/billing/preview`: the current period's invoice so far.
pub async fn preview(
    auth: Authed,
    Extension(engine): Extension<Engine>,
) -> Result<Response, ApiError> {
    let period = Period::containing(chrono::Utc::now());
    let rated = auth
        .run(async |db, _| invoices::rate_period(&engine, &auth.ctx, db, period).await)
        .await?;
    reply(StatusCode::OK, "invoice", rated)
}
