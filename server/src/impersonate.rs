//! `/impersonate/<token>` on a tenant host: where the console's single-use
//! link lands. It starts the impersonation session and goes home.

use crate::api::error::ApiError;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, MethodRouter};
use axum::{Extension, Router};
use leptos::config::LeptosOptions;
use tenantry::authz::Need;
use tenantry::identity::impersonation;
use tenantry::tenancy::RequestScope;
use tenantry::Error;
use tower_sessions::Session;

pub struct ImpersonateRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    pub handler: MethodRouter<LeptosOptions>,
}

/// Reached signed out: the token is the credential.
pub fn table() -> Vec<ImpersonateRoute> {
    vec![ImpersonateRoute {
        method: "GET",
        path: "/impersonate/{token}",
        need: Need::Anyone,
        handler: get(land),
    }]
}

pub fn router() -> Router<LeptosOptions> {
    table().into_iter().fold(Router::new(), |router, r| {
        router.route(r.path, r.handler.layer(Extension(r.need)))
    })
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
