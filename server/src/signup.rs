//! `/signup/confirm/<token>` on a signup's tenant host: where the mailed
//! confirmation link lands. It proves the owner's address, opens the
//! tenant, signs the owner in on this host and shows the first steps. The
//! gateway answers this path alone while the tenant is pending.

use crate::arrival::Arriving;
use crate::gateway::resolve::not_found;
use crate::page_routes::{router_of, PageRoute};
use crate::router::Site;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use tenantry::authz::Need;
use tenantry::lifecycle::signup;
use tenantry::tenancy::RequestScope;
use tenantry::Error;
use tower_sessions::Session;

/// Reached signed out: the token is the credential.
pub fn table() -> Vec<PageRoute> {
    vec![PageRoute {
        method: "GET",
        path: "/signup/confirm/{token}",
        need: Need::Anyone,
        handler: get(confirm),
    }]
}

pub fn router() -> Router<Site> {
    router_of(table())
}

async fn confirm(
    Extension(scope): Extension<RequestScope>,
    Arriving(arrival): Arriving,
    session: Session,
    Path(token): Path<String>,
) -> Response {
    let Ok(ctx) = scope.tenant() else {
        return not_found();
    };
    let owner = match signup::confirm(ctx, &token).await {
        Ok(owner) => owner,
        Err(Error::NotFound) => return not_found(),
        Err(Error::Invalid(field)) => return expired(&field.message),
        Err(e) => {
            tracing::error!(error = ?e, "signup confirmation failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
        }
    };
    if let Err(e) = tenantry::session::sign_in(&session, &scope, owner, arrival).await {
        // Open, but not signed in: the sign-in page is the way on.
        tracing::error!(error = ?e, "signing in after confirmation failed");
        return Redirect::to("/login").into_response();
    }
    Redirect::to("/welcome").into_response()
}

/// An expired link: said plainly, in no one's brand.
fn expired(message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link expired</title></head>\
         <body><h1>This link has expired</h1><p>{}</p></body></html>",
        html_escape(message)
    );
    (StatusCode::GONE, Html(body)).into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
