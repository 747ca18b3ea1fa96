//! The JSON API on tenant hosts. The route table below is the single source:
//! the router is built from it and the cross-tenant attack suite iterates it,
//! so a route cannot be added without being attacked.

pub mod auth;
pub mod body;
pub mod error;
pub mod exports;
pub mod flags;
pub mod keys;
pub mod openapi;
pub mod projects;
pub mod session;
pub mod usage;

use crate::router::Site;
use axum::routing::{delete, get, patch, post, MethodRouter};
use axum::{Extension, Router};
use tenantry::authz::Need;

/// One API route: what it needs from its caller, what it does, and the JSON
/// fields its body takes (for the OpenAPI document).
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    pub summary: &'static str,
    /// `(field, required)` of the JSON body.
    pub fields: &'static [(&'static str, bool)],
    /// The key the success body's payload sits under (`{"projects": …}`).
    pub returns: &'static str,
    pub handler: MethodRouter<Site>,
}

pub fn table() -> Vec<ApiRoute> {
    use Need::*;
    let route = |method, path, need, summary, fields, returns, handler| ApiRoute {
        method,
        path,
        need,
        summary,
        fields,
        returns,
        handler,
    };
    let name: &[(&str, bool)] = &[("name", true)];
    vec![
        route(
            "POST",
            "/api/v1/session",
            Anyone,
            "Sign in with email and password (sets the session cookie)",
            &[("email", true), ("password", true)],
            "user",
            post(session::sign_in),
        ),
        route(
            "POST",
            "/api/v1/token",
            Reader,
            "Exchange the caller (session or API key) for a short-lived access token",
            &[],
            "token",
            post(keys::token),
        ),
        route(
            "GET",
            "/api/v1/openapi.json",
            Anyone,
            "This document",
            &[],
            "",
            get(openapi::document),
        ),
        route(
            "GET",
            "/api/v1/api-keys",
            Admin,
            "List the organisation's API keys",
            &[],
            "api_keys",
            get(keys::list),
        ),
        route(
            "POST",
            "/api/v1/api-keys",
            Admin,
            "Create an API key (its secret is shown only in this response)",
            &[
                ("name", true),
                ("role", true),
                ("expires_in_days", false),
                ("requests_per_second", false),
            ],
            "api_key",
            post(keys::create),
        ),
        route(
            "DELETE",
            "/api/v1/api-keys/{id}",
            Admin,
            "Revoke an API key",
            &[],
            "api_key",
            delete(keys::revoke),
        ),
        route(
            "GET",
            "/api/v1/flags",
            Reader,
            "Feature flags, evaluated for the caller",
            &[],
            "flags",
            get(flags::list),
        ),
        route(
            "GET",
            "/api/v1/projects",
            Reader,
            "List projects",
            &[],
            "projects",
            get(projects::list),
        ),
        route(
            "POST",
            "/api/v1/projects",
            Writer,
            "Create a project",
            name,
            "project",
            post(projects::create),
        ),
        route(
            "GET",
            "/api/v1/projects/{id}",
            Reader,
            "Show a project",
            &[],
            "project",
            get(projects::show),
        ),
        route(
            "PATCH",
            "/api/v1/projects/{id}",
            Writer,
            "Rename a project",
            name,
            "project",
            patch(projects::rename),
        ),
        route(
            "DELETE",
            "/api/v1/projects/{id}",
            Writer,
            "Delete a project and its tasks",
            &[],
            "",
            delete(projects::remove),
        ),
        route(
            "GET",
            "/api/v1/projects/{id}/tasks",
            Reader,
            "List a project's tasks",
            &[],
            "tasks",
            get(projects::list_tasks),
        ),
        route(
            "POST",
            "/api/v1/projects/{id}/tasks",
            Writer,
            "Add a task to a project",
            &[("title", true)],
            "task",
            post(projects::create_task),
        ),
        route(
            "POST",
            "/api/v1/usage",
            Writer,
            "Send a batch of up to 1000 usage events (each checked on its own; an id already stored is not counted again)",
            &[("events", true)],
            "ingest",
            post(usage::ingest),
        ),
        route(
            "GET",
            "/api/v1/usage",
            Reader,
            "Each meter's total and daily usage for a period (?period=2026-11; default the current one)",
            &[],
            "usage",
            get(usage::read),
        ),
        route(
            "GET",
            "/api/v1/billing/preview",
            Admin,
            "The current period's invoice as it stands",
            &[],
            "invoice",
            get(usage::preview),
        ),
        route(
            "GET",
            "/api/v1/exports/{id}/archive",
            Admin,
            "Download a finished export archive",
            &[],
            "",
            get(exports::download),
        ),
    ]
}

/// The API routes as a router (paths with several methods are merged). Each
/// handler receives its route's declared [`Need`] as an extension, which is
/// what [`auth::Authed`] checks: the table is the only place a need is set.
pub fn router() -> Router<Site> {
    table()
        .into_iter()
        .fold(Router::new(), |router, r| {
            router.route(r.path, r.handler.layer(Extension(r.need)))
        })
        .route_layer(axum::middleware::from_fn(require_json))
}

/// Bodies must be declared JSON: an HTML form cannot send that content type
/// across origins without a preflight, which keeps the API out of reach of
/// form-based CSRF even where no `Origin` header is sent.
pub(crate) async fn require_json(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, Method};
    let has_body = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if has_body && !is_json {
        return error::unsupported_media_type();
    }
    next.run(req).await
}
