//! What a tenant's plan allows per request, enforced before any handler,
//! once the caller is known (this layer runs after the session is loaded,
//! and checks a bearer credential itself):
//! - a signed-in member, an API key or a platform token draws on the
//!   tenant's rate bucket (GCRA, keyed on the resolved tenant — never on a
//!   header the client sends), and on the JSON API on its monthly quota;
//! - an anonymous caller (or a credential that is not good) draws on a bucket
//!   of its own, per client address, at the plan's rate: no anonymous client
//!   can spend what the tenant's users are allowed, and only authenticated
//!   calls count against the quota.
//!
//! The JSON API also needs the plan's `api_access` feature. Refusals are 429
//! with `Retry-After`; every rate-limited response carries `RateLimit-*`.

use crate::api::error::json_error;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use tenantry::cache::CacheKey;
use tenantry::identity::throttle::ClientIp;
use tenantry::identity::Caller;
use tenantry::plans::{quota, registry};
use tenantry::policy::enforce;
use tenantry::policy::Policy;
use tenantry::ratelimit::{Decision, Rate};
use tenantry::tenancy::{Engine, RequestScope, TenantCtx};
use tower_sessions::Session;

/// The caller a bearer credential stood for, checked by this layer once so
/// that the API's extractor does not check it again.
#[derive(Clone)]
pub struct BearerCaller(pub Caller);

/// Who is charged for a request.
enum Charge {
    /// The tenant's own bucket and quota: an authenticated caller.
    Tenant,
    /// A bucket of the caller's own, per client address.
    Anonymous(ClientIp),
}

pub async fn layer(mut req: Request, next: Next) -> Response {
    let (Some(RequestScope::Tenant(ctx)), Some(engine), Some(policy)) = (
        req.extensions().get::<RequestScope>().cloned(),
        req.extensions().get::<Engine>().cloned(),
        req.extensions().get::<Arc<Policy>>().cloned(),
    ) else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_owned();
    // The compiled site is the same for everyone and costs nothing to serve.
    if path.starts_with("/pkg/") {
        return next.run(req).await;
    }
    let client = req
        .extensions()
        .get::<ClientIp>()
        .copied()
        .unwrap_or(ClientIp(None));
    // Bearer credentials belong to the tenant API; elsewhere (pages,
    // server functions, the platform API) they are not this layer's to read.
    let charge = match bearer(req.headers()).filter(|_| path.starts_with("/api/v1/")) {
        Some(token) => {
            match tenantry::identity::credentials::caller_for(&engine, &ctx, &token).await {
                Ok(caller) => {
                    req.extensions_mut().insert(BearerCaller(caller));
                    Charge::Tenant
                }
                Err(refused) => {
                    // Refused either way; the anonymous bucket makes guessing
                    // credentials slow.
                    return match admit(&engine, &policy, &ctx, &path, Charge::Anonymous(client))
                        .await
                    {
                        Ok(headers) => with_headers(json_error(&refused), headers),
                        Err(limited) => limited,
                    };
                }
            }
        }
        None => {
            let scope = RequestScope::Tenant(ctx.clone());
            let signed_in = match req.extensions().get::<Session>() {
                Some(session) => tenantry::session::subject(session, &scope).await.is_some(),
                None => false,
            };
            match signed_in {
                true => Charge::Tenant,
                false => Charge::Anonymous(client),
            }
        }
    };
    match admit(&engine, &policy, &ctx, &path, charge).await {
        Ok(headers) => with_headers(next.run(req).await, headers),
        Err(refused) => refused,
    }
}

fn with_headers(mut response: Response, headers: HeaderMap) -> Response {
    response.headers_mut().extend(headers);
    response
}

/// The credential in `Authorization: Bearer <token>`, if one is sent.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Headers to add to the response when the request may go on, or the
/// refusal.
async fn admit(
    engine: &Engine,
    policy: &Policy,
    ctx: &TenantCtx,
    path: &str,
    charge: Charge,
) -> Result<HeaderMap, Response> {
    match check(engine, policy, ctx, path, charge).await {
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
    charge: Charge,
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
        let key = match &charge {
            Charge::Tenant => CacheKey::tenant(ctx, "rate.requests", "all"),
            Charge::Anonymous(ClientIp(Some(ip))) => CacheKey::tenant(ctx, "rate.anonymous", ip),
            Charge::Anonymous(ClientIp(None)) => CacheKey::tenant(ctx, "rate.anonymous", "unknown"),
        };
        let decision = engine.rate_limiter().check(&key, rate).await;
        headers = rate_headers(rate, &decision);
        if !decision.allowed {
            let limit = match charge {
                Charge::Tenant => "requests",
                Charge::Anonymous(_) => "anonymous",
            };
            engine.observer().rate_limited(limit, Some(ctx.id().uuid()));
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
        let authenticated = matches!(charge, Charge::Tenant);
        if authenticated && number(registry::API_REQUESTS_PER_MONTH)?.is_some() {
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
