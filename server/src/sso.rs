//! Single sign-on on tenant hosts: `/sso/start` sends the browser to the
//! tenant's provider, `/sso/callback` takes it back and signs the member in.
//! What binds the two (state, nonce, PKCE verifier, the tenant) lives in the
//! browser's session, whose cookie is host-only: an answer carried to
//! another tenant's host finds nothing to finish. Failures go back to the
//! sign-in page with the reason.

use crate::api::error::ApiError;
use crate::arrival::Arriving;
use crate::page_routes::{router_of, PageRoute};
use crate::router::Site;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;
use tenantry::authz::Need;
use tenantry::identity::sso::flow::{self, Pending};
use tenantry::tenancy::{RequestScope, SiteOrigin};
use tenantry::Error;
use tower_sessions::Session;

const PENDING_KEY: &str = "sso_pending";

/// Both are reached signed out; the tenant comes from the host.
pub fn table() -> Vec<PageRoute> {
    vec![
        PageRoute {
            method: "GET",
            path: "/sso/start",
            need: Need::Anyone,
            handler: get(start),
        },
        PageRoute {
            method: "GET",
            path: "/sso/callback",
            need: Need::Anyone,
            handler: get(callback),
        },
    ]
}

pub fn router() -> Router<Site> {
    router_of(table())
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
    login_hint: Option<String>,
    /// `1`: the signed-in member links their identity instead of signing in.
    link: Option<String>,
}

async fn start(
    Extension(scope): Extension<RequestScope>,
    Extension(SiteOrigin(origin)): Extension<SiteOrigin>,
    session: Session,
    Query(q): Query<StartQuery>,
) -> Response {
    let begun = async {
        let ctx = scope.tenant()?;
        let next = q.next.as_deref().unwrap_or("/");
        let link_user = match q.link.as_deref() {
            Some("1") => Some(
                tenantry::session::subject(&session, &scope)
                    .await
                    .ok_or(Error::Unauthenticated)?,
            ),
            _ => None,
        };
        let hint = q.login_hint.as_deref();
        let (url, pending) = flow::begin(ctx, &origin, next, hint, link_user).await?;
        session
            .insert(PENDING_KEY, pending)
            .await
            .map_err(|e| Error::Unexpected(e.into()))?;
        Ok::<_, Error>(url)
    };
    match begun.await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(Error::NotFound) => ApiError(Error::NotFound).into_response(),
        Err(e) => back_to_sign_in(&e),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    Extension(scope): Extension<RequestScope>,
    Extension(SiteOrigin(origin)): Extension<SiteOrigin>,
    Arriving(arrival): Arriving,
    session: Session,
    Query(q): Query<CallbackQuery>,
) -> Response {
    // Whatever happens, this answer is used up.
    let pending: Option<Pending> = session.remove(PENDING_KEY).await.ok().flatten();
    let next = pending.as_ref().map(|p| p.next.clone());
    let linking = pending.as_ref().is_some_and(|p| p.link_user.is_some());
    let finished = async {
        let ctx = scope.tenant()?;
        if q.error.is_some() {
            return Err(Error::forbidden(
                "sso_failed",
                "single sign-on failed: the provider refused the sign-in",
            ));
        }
        let (code, state) = match (&q.code, &q.state) {
            (Some(code), Some(state)) => (code, state),
            _ => {
                return Err(Error::forbidden(
                    "sso_failed",
                    "single sign-on failed: the provider's answer is incomplete",
                ))
            }
        };
        let member = flow::finish(ctx, &origin, pending, code, state).await?;
        // Linking leaves the member signed in as they were.
        if !linking {
            tenantry::session::sign_in(&session, &scope, member.id, arrival)
                .await
                .map_err(Error::Unexpected)?;
            tenantry::identity::switcher::note(ctx, &member.email).await;
        }
        Ok(member)
    };
    match finished.await {
        Ok(_) => Redirect::to(&next.unwrap_or_else(|| "/".into())).into_response(),
        Err(Error::NotFound) => ApiError(Error::NotFound).into_response(),
        Err(e) => back_to_sign_in(&e),
    }
}

fn back_to_sign_in(e: &Error) -> Response {
    if let Error::Unexpected(cause) = e {
        tracing::error!(error = ?cause, "single sign-on failed");
    }
    let message = crate::brand_assets::url_escape(&e.public_message());
    Redirect::to(&format!("/login?sso_error={message}")).into_response()
}
