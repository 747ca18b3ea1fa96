//! `GET /api/v1/flags`: the signed-in member's own tenant's flags, evaluated
//! for them. Definitions and other tenants' values never leave the server.

use super::error::ApiError;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use tenantry::tenancy::RequestScope;
use tower_sessions::Session;

pub async fn list(
    Extension(scope): Extension<RequestScope>,
    session: Session,
) -> Result<Response, ApiError> {
    let ctx = scope.tenant()?;
    let subject = tenantry::session::subject(&session, &scope).await;
    let user =
        tenantry::identity::members::run_as(ctx, subject, false, async |_, member| Ok(member.id))
            .await?;
    let flags = ctx.flags_for(Some(user)).all();
    Ok(Json(serde_json::json!({ "flags": flags })).into_response())
}
