//! API keys and platform tokens. Admins list, create and revoke the tenant's
//! keys (a new key's secret is in the create response only); a signed-in
//! session or a key — never a token — exchanges itself for a short-lived
//! token that dies with it.

use super::auth::{Authed, Presented};
use super::body::{parse_id, JsonObject};
use super::error::ApiError;
use super::projects::reply;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use tenantry::identity::access_tokens::{self, Issuer};
use tenantry::identity::api_keys::{self, NewKey};
use tenantry::identity::Caller;
use tenantry::tenancy::Engine;

pub async fn list(auth: Authed) -> Result<Response, ApiError> {
    auth.run(async |_, _| Ok(())).await?;
    reply(StatusCode::OK, "api_keys", api_keys::list(&auth.ctx).await?)
}

pub async fn create(auth: Authed, body: Bytes) -> Result<Response, ApiError> {
    let body = JsonObject::parse(&body)?;
    let new = NewKey::parse(
        &body.string("name")?,
        &body.string("role")?,
        &body.optional_string("expires_in_days")?,
        &body.optional_string("requests_per_second")?,
    )?;
    let actor = auth.run(async |_, actor| Ok(actor.clone())).await?;
    let created = api_keys::create(&auth.ctx, &actor, new).await?;
    reply(StatusCode::CREATED, "api_key", created)
}

pub async fn revoke(auth: Authed, Path(id): Path<String>) -> Result<Response, ApiError> {
    let actor = auth.run(async |_, actor| Ok(actor.clone())).await?;
    let key = api_keys::revoke(&auth.ctx, &actor, parse_id(&id)?).await?;
    reply(StatusCode::OK, "api_key", key)
}

/// `POST /api/v1/token`: a platform token for whoever is calling.
pub async fn token(
    auth: Authed,
    Extension(engine): Extension<Engine>,
) -> Result<Response, ApiError> {
    let actor = auth.run(async |_, actor| Ok(actor.clone())).await?;
    let issuer = match (&auth.presented, &auth.caller) {
        (Presented::PlatformToken, _) => {
            return Err(tenantry::Error::forbidden(
                "token_for_token",
                "a platform token cannot be exchanged for another; ask with the API key or \
                 the signed-in session that issued it",
            )
            .into())
        }
        (Presented::ApiKey, Caller::Key(grant)) => Issuer::Key(grant.id),
        (Presented::Session(Some(signed_in)), _) => Issuer::Session(*signed_in, actor.role),
        _ => return Err(tenantry::Error::Unauthenticated.into()),
    };
    let issued = access_tokens::issue(&engine, auth.ctx.id(), issuer)?;
    reply(StatusCode::OK, "token", issued)
}
