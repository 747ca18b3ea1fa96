//! API keys and platform tokens. Admins list, create and revoke the tenant's
//! keys (a new key's secret is in the create response only); any caller — a
//! session, a key — exchanges itself for a short-lived token.

use super::auth::Authed;
use super::body::{parse_id, JsonObject};
use super::error::ApiError;
use super::projects::reply;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use tenantry::identity::api_keys::{self, NewKey};
use tenantry::identity::{access_tokens, Caller};
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
    let key = match &auth.caller {
        Caller::Key(grant) => Some(grant.id),
        Caller::User(_) => None,
    };
    let issued = access_tokens::issue(&engine, auth.ctx.id(), &actor, key)?;
    reply(StatusCode::OK, "token", issued)
}
