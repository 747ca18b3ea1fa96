//! `GET /api/v1/flags`: the signed-in member's own tenant's flags, evaluated
//! for them. Definitions and other tenants' values never leave the server.

use super::auth::Authed;
use super::error::ApiError;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Flags are evaluated for the member calling (an API key is no one: it gets
/// the tenant-wide values).
pub async fn list(auth: Authed) -> Result<Response, ApiError> {
    let user = auth.run(async |_, actor| Ok(actor.user_id())).await?;
    let flags = auth.ctx.flags_for(user).all();
    Ok(Json(serde_json::json!({ "flags": flags })).into_response())
}
