//! What a tenant's plan allows per request, enforced before any handler:
//! the request rate (GCRA, keyed on the resolved tenant — never on a header
//! the client sends), and on the JSON API the `api_access` feature and the
//! monthly API request quota. Refusals are 429 with `Retry-After`; every
//! rate-limited response carries `RateLimit-*` headers.

use crate::api::error::json_error;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tenantry::plans::{enforce, quota, registry};
use tenantry::policy::Policy;
use tenantry::ratelimit::{Decision, Rate};
use tenantry::tenancy::{Engine, TenantCtx};

/// Headers to add to the response when the request may go on, or the
/// refusal.
pub async fn admit(
    engine: &Engine,
    policy: &Policy,
    ctx: &TenantCtx,
    path: &str,
) -> Result<HeaderMap, Response> {
    // The compiled site is the same for everyone and costs nothing to serve.
    if path.starts_with("/pkg/") {
        return Ok(HeaderMap::new());
    }
    match check(engine, policy, ctx, path).await {
        Ok(headers) => Ok(headers),
        Err(Refusal::Plan(e)) => Err(json_error(&e)),
        Err(Refusal::Rate(rate, decision, headers)) => {
            Err(too_many(rate, &decision, headers, path))
        }
    }
}

enum Refusal {
    Plan(tenantry::Error),
    Rate(Rate, Decision, HeaderMap),
}

impl From<tenantry::Error> for Refusal {
    fn from(e: tenantry::Error) -> Self {
        Refusal::Plan(e)
    }
}

async fn check(
    engine: &Engine,
    policy: &Policy,
    ctx: &TenantCtx,
    path: &str,
) -> Result<HeaderMap, Refusal> {
    let number =
        |key| enforce::value_of(policy, ctx.tenant(), key).map(|v| v.and_then(|v| v.as_u64()));
    let mut headers = HeaderMap::new();
    if let Some(per_second) = number(registry::REQUESTS_PER_SECOND)? {
        let burst = number(registry::BURST)?.unwrap_or(per_second);
        let rate = Rate::per_second(
            per_second.clamp(1, u64::from(u32::MAX)) as u32,
            burst.clamp(1, u64::from(u32::MAX)) as u32,
        );
        let key = format!("tenant:{}", ctx.id());
        let decision = engine.rate_limiter().check(&key, rate).await;
        headers = rate_headers(rate, &decision);
        if !decision.allowed {
            return Err(Refusal::Rate(rate, decision, headers));
        }
    }
    if path.starts_with("/api/v1/") {
        let api_access = enforce::value_of(policy, ctx.tenant(), registry::API_ACCESS)?
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if !api_access {
            // Builds the refusal that names the feature and the plan.
            ctx.require_feature(registry::API_ACCESS).await?;
        }
        if number(registry::API_REQUESTS_PER_MONTH)?.is_some() {
            let state = quota::consume(ctx, registry::API_REQUESTS_PER_MONTH, 1).await?;
            if let Some(remaining) = state.remaining() {
                headers.insert("quota-remaining", HeaderValue::from(remaining));
            }
        }
    }
    Ok(headers)
}

fn seconds_up(d: std::time::Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn rate_headers(rate: Rate, decision: &Decision) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("ratelimit-limit", HeaderValue::from(rate.burst));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert(
        "ratelimit-reset",
        HeaderValue::from(seconds_up(decision.reset_after)),
    );
    headers
}

fn too_many(rate: Rate, decision: &Decision, mut headers: HeaderMap, path: &str) -> Response {
    let retry = seconds_up(decision.retry_after).max(1);
    headers.insert("retry-after", HeaderValue::from(retry));
    let message = format!(
        "Too many requests for this organisation: its plan allows {} per second (bursts of {}). Retry after {retry} s.",
        rate.sustained_per_second().round(),
        rate.burst
    );
    let body = if path.starts_with("/api/") {
        axum::Json(json!({ "error": { "code": "rate_limited", "message": message } }))
            .into_response()
    } else {
        message.into_response()
    };
    (StatusCode::TOO_MANY_REQUESTS, headers, body).into_response()
}
