//! `/impersonate/<token>` on a tenant host: where the console's single-use
//! link lands. It starts the impersonation session and goes home.

use crate::api::error::ApiError;
use crate::page_routes::{router_of, PageRoute};
use crate::router::Site;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use tenantry::authz::Need;
use tenantry::identity::impersonation;
use tenantry::tenancy::RequestScope;
use tenantry::Error;
use tower_sessions::Session;

/// Reached signed out: the token is the credential.
pub fn table() -> Vec<PageRoute> {
    vec![PageRoute {
        method: "GET",
        path: "/impersonate/{token}",
        need: Need::Anyone,
        handler: get(land),
    }]
}

pub fn router() -> Router<Site> {
    router_of(table())
}

async fn land(
    Extension(scope): Extension<RequestScope>,
    session: Session,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = scope.tenant()?;
    let (user, id) = impersonation::redeem(ctx, &token).await?;
    tenantry::session::sign_in_impersonating(&session, &scope, user, id)
        .await
        .map_err(Error::Unexpected)?;
    Ok(Redirect::to("/").into_response())
}
