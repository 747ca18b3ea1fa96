//! The caller of an API route: the host's tenant, who is asking (a session
//! cookie, an API key or a platform token in `Authorization: Bearer`), and the
//! need the route table declared for the route. Handlers run their work
//! through [`Authed::run`], which checks that need inside the tenant's
//! transaction; they never check roles themselves.

use super::error::ApiError;
use crate::gateway::limits::{bearer, BearerCaller};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tenantry::authz::Need;
use tenantry::cache::CacheKey;
use tenantry::identity::{impersonation, Actor, Caller, KeyGrant};
use tenantry::ratelimit::Rate;
use tenantry::session::SignedIn;
use tenantry::tenancy::{Engine, RequestScope, TenantCtx, TenantDb};
use tenantry::Error;
use tower_sessions::Session;

pub struct Authed {
    pub ctx: TenantCtx,
    pub caller: Caller,
    pub need: Need,
    /// The credential the caller presented.
    pub presented: Presented,
}

/// The credential a request came with.
pub enum Presented {
    /// The session cookie, and whoever it signs in (if anyone).
    Session(Option<SignedIn>),
    ApiKey,
    PlatformToken,
}

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let scope = parts
            .extensions
            .get::<RequestScope>()
            .cloned()
            .ok_or(Error::NotFound)?;
        let ctx = scope.tenant()?.clone();
        // A route the table did not declare never gets here (see
        // `api::router`); failing closed all the same.
        let need =
            parts.extensions.get::<Need>().copied().ok_or_else(|| {
                Error::forbidden("undeclared", "this route declares no permission")
            })?;
        let engine = parts
            .extensions
            .get::<Engine>()
            .cloned()
            .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("engine missing")))?;
        let (caller, presented) = match bearer(&parts.headers) {
            Some(token) => {
                // The gateway's limits layer checked the credential already.
                let caller = match parts.extensions.get::<BearerCaller>() {
                    Some(BearerCaller(caller)) => caller.clone(),
                    None => {
                        tenantry::identity::credentials::caller_for(&engine, &ctx, &token).await?
                    }
                };
                if let Caller::Key(grant) = &caller {
                    within_key_rate(&engine, &ctx, grant).await?;
                }
                if let Caller::Token(grant) = &caller {
                    audit_support_request(&ctx, grant, parts).await?;
                }
                let presented = match tenantry::identity::access_tokens::looks_like_token(&token) {
                    true => Presented::PlatformToken,
                    false => Presented::ApiKey,
                };
                (caller, presented)
            }
            None => {
                let session = Session::from_request_parts(parts, state)
                    .await
                    .map_err(|_| Error::Unexpected(anyhow::anyhow!("session layer missing")))?;
                let signed_in = tenantry::session::signed_in(&session, &scope).await;
                (
                    Caller::User(signed_in.map(|s| s.subject)),
                    Presented::Session(signed_in),
                )
            }
        };
        // Metered as the platform's `api_calls` usage (flushed in batches):
        // calls by a key, a token or a signed-in member, not anonymous ones.
        if !matches!(caller, Caller::User(None)) {
            engine.api_calls().count(ctx.id());
        }
        Ok(Self {
            ctx,
            caller,
            need,
            presented,
        })
    }
}

/// A token issued inside a superadmin's support session is audited like the
/// session's own requests (see `gateway::impersonation`); unattributed work
/// must not happen, so a request that cannot be audited is refused.
async fn audit_support_request(
    ctx: &TenantCtx,
    grant: &tenantry::identity::TokenGrant,
    parts: &Parts,
) -> Result<(), ApiError> {
    let Some(active) = &grant.impersonation else {
        return Ok(());
    };
    let (method, path) = (parts.method.as_str(), parts.uri.path());
    impersonation::record_request(ctx, active, method, path).await?;
    Ok(())
}

impl Authed {
    /// Runs `work` as the caller, once the declared need is met, and commits.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: AsyncFnOnce(&TenantDb, &Actor) -> tenantry::Result<T>,
    {
        let run = tenantry::identity::caller::run_as(&self.ctx, &self.caller, self.need, work);
        Ok(run.await?)
    }
}

/// A key with a rate limit of its own gets its own bucket, beside the
/// tenant's (which the gateway has already charged): one busy integration
/// cannot use up the organisation's whole allowance.
async fn within_key_rate(
    engine: &Engine,
    ctx: &TenantCtx,
    grant: &KeyGrant,
) -> Result<(), ApiError> {
    let Some(per_second) = grant.requests_per_second else {
        return Ok(());
    };
    let rate = Rate::per_second(per_second, per_second);
    let key = CacheKey::tenant(ctx, "rate.api_key", grant.id);
    let decision = engine.rate_limiter().check(&key, rate).await;
    if decision.allowed {
        return Ok(());
    }
    let retry = decision.retry_after.as_secs_f64().ceil().max(1.0) as u64;
    Err(Error::RateLimited {
        retry_after_secs: retry,
    }
    .into())
}
