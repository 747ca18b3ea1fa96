use super::body::JsonObject;
use super::error::ApiError;
use crate::arrival::Arriving;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use tenantry::identity::members;
use tenantry::identity::throttle::ClientIp;
use tenantry::tenancy::RequestScope;
use tenantry::Error;
use tower_sessions::Session;

/// `POST /api/v1/session` `{email, password}` → a session cookie.
pub async fn sign_in(
    Extension(scope): Extension<RequestScope>,
    client: Option<Extension<ClientIp>>,
    Arriving(arrival): Arriving,
    session: Session,
    body: Bytes,
) -> Result<Response, ApiError> {
    let client = client.map(|Extension(c)| c).unwrap_or_default();
    let ctx = scope.tenant()?;
    let body = JsonObject::parse(&body)?;
    let email = body.string("email")?;
    let password = body.string("password")?;
    let member = members::authenticate(ctx, &email, &password, client).await?;
    tenantry::session::sign_in(&session, &scope, member.id, arrival)
        .await
        .map_err(Error::Unexpected)?;
    Ok((StatusCode::OK, Json(json!({ "user": member }))).into_response())
}
