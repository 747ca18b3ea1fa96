//! The JSON API on tenant hosts. The route table below is the single source:
//! the router is built from it and the cross-tenant attack suite iterates it,
//! so a route cannot be added without being attacked.

pub mod body;
pub mod error;
pub mod exports;
pub mod flags;
pub mod projects;
pub mod session;

use axum::routing::{delete, get, patch, post, MethodRouter};
use axum::Router;
use leptos::config::LeptosOptions;

/// One API route.
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    /// Whether a signed-in member is required (all but sign-in).
    pub needs_member: bool,
    pub handler: MethodRouter<LeptosOptions>,
}

pub fn table() -> Vec<ApiRoute> {
    let route = |method, path, needs_member, handler| ApiRoute {
        method,
        path,
        needs_member,
        handler,
    };
    vec![
        route("POST", "/api/v1/session", false, post(session::sign_in)),
        route("GET", "/api/v1/flags", true, get(flags::list)),
        route("GET", "/api/v1/projects", true, get(projects::list)),
        route("POST", "/api/v1/projects", true, post(projects::create)),
        route("GET", "/api/v1/projects/{id}", true, get(projects::show)),
        route(
            "PATCH",
            "/api/v1/projects/{id}",
            true,
            patch(projects::rename),
        ),
        route(
            "DELETE",
            "/api/v1/projects/{id}",
            true,
            delete(projects::remove),
        ),
        route(
            "GET",
            "/api/v1/projects/{id}/tasks",
            true,
            get(projects::list_tasks),
        ),
        route(
            "POST",
            "/api/v1/projects/{id}/tasks",
            true,
            post(projects::create_task),
        ),
        route(
            "GET",
            "/api/v1/exports/{id}/archive",
            true,
            get(exports::download),
        ),
    ]
}

/// The API routes as a router (paths with several methods are merged).
pub fn router() -> Router<LeptosOptions> {
    table()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
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
