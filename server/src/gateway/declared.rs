//! Server functions run only as declared: each one's [`Need`] comes from the
//! app's table (`backend::needs`). An undeclared function is refused outright
//! (fail closed), and the checks that need no database are made here, before
//! the function runs: an anonymous caller is sent to sign in, a console
//! function is not found on a tenant host and a tenant one not on the console.
//! The role itself is checked by the function through the same `authz` API,
//! inside its transaction.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tenantry::authz::Need;
use tenantry::tenancy::RequestScope;
use tenantry::Error;
use tenantry_app::backend::needs;
use tower_sessions::Session;

/// Wraps the whole tenant-resolved router, not just the server-function
/// route: `leptos_routes` registers each server function's own path, and a
/// layer on the `/api/{*fn_name}` route alone never sees those calls.
pub async fn layer(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !is_server_fn_path(&path) {
        return next.run(req).await;
    }
    let Some(need) = needs::need_of(&path) else {
        tracing::error!(path, "server function declares no need; refused");
        return refuse(&Error::forbidden(
            "undeclared",
            "this function declares no permission",
        ));
    };
    if need == Need::Anyone {
        return next.run(req).await;
    }
    let Some(scope) = req.extensions().get::<RequestScope>().cloned() else {
        return refuse(&Error::NotFound);
    };
    // The public site has no one to sign in: only `anyone` is served there.
    if matches!(scope, RequestScope::Site)
        || !need.fits_host(matches!(scope, RequestScope::Console))
    {
        return refuse(&Error::NotFound);
    }
    let signed_in = match req.extensions().get::<Session>() {
        Some(session) => tenantry::session::subject(session, &scope).await.is_some(),
        None => false,
    };
    if !signed_in {
        return refuse(&Error::Unauthenticated);
    }
    next.run(req).await
}

/// Server functions live at `/api/<name><digits>`, one segment; the REST
/// APIs (`/api/v1/…`, `/api/platform/v1/…`) have more.
fn is_server_fn_path(path: &str) -> bool {
    path.strip_prefix("/api/")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// The refusal in the shape server functions answer errors with (the app's
/// `AppError`), so the browser shows it like any other.
fn refuse(err: &Error) -> Response {
    let public = err.public();
    let status = StatusCode::from_u16(public.status).unwrap_or(StatusCode::FORBIDDEN);
    (status, axum::Json(public)).into_response()
}
