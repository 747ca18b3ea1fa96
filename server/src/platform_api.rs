//! The platform API: the tenant lifecycle as JSON, on the console host only,
//! for the platform's own automation. It calls the same core functions as the
//! console and the CLI (one service, three front doors), so validation and
//! audit are identical. Authenticated by `Authorization: Bearer <token>`
//! (`platform_api_token`); on any tenant host, or with no token configured,
//! every route is a 404. The route table is the single source: the router is
//! built from it and the attack suite iterates it.

use crate::api::body::JsonObject;
use crate::api::error::{json_error, ApiError};
use crate::router::Site;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;
use tenantry::catalog::tenants::{self, NewTenant, TenantSummary};
use tenantry::tenancy::{Engine, RequestScope, TenantState};
use tenantry::Error;

const ACTOR: &str = "platform-api";

pub struct PlatformRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub handler: MethodRouter<Site>,
}

pub fn table() -> Vec<PlatformRoute> {
    let route = |method, path, handler| PlatformRoute {
        method,
        path,
        handler,
    };
    vec![
        route("GET", "/api/platform/v1/tenants", get(list)),
        route("POST", "/api/platform/v1/tenants", post(create)),
        route("GET", "/api/platform/v1/tenants/{slug}", get(show)),
        route("DELETE", "/api/platform/v1/tenants/{slug}", delete(remove)),
        route(
            "POST",
            "/api/platform/v1/tenants/{slug}/activate",
            post(activate),
        ),
        route(
            "POST",
            "/api/platform/v1/tenants/{slug}/suspend",
            post(suspend),
        ),
        route(
            "POST",
            "/api/platform/v1/tenants/{slug}/resume",
            post(resume),
        ),
    ]
}

pub fn router() -> Router<Site> {
    table()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .route_layer(axum::middleware::from_fn(crate::api::require_json))
        .route_layer(axum::middleware::from_fn(authenticate))
}

/// Console host and the right bearer token, or nothing: a tenant host (or a
/// deployment without a token) cannot tell the API exists.
async fn authenticate(req: Request, next: Next) -> Response {
    let on_console = matches!(
        req.extensions().get::<RequestScope>(),
        Some(RequestScope::Console)
    );
    let Some(engine) = req.extensions().get::<Engine>() else {
        return json_error(&Error::NotFound);
    };
    if !on_console || engine.settings().platform_api_token.is_none() {
        return json_error(&Error::NotFound);
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !tenantry::platform::platform_token_matches(engine.settings(), presented.trim()) {
        let mut response = json_error(&Error::Unauthenticated);
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    next.run(req).await
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

fn tenant_reply(status: StatusCode, t: TenantSummary) -> Result<Response, ApiError> {
    Ok(reply(status, json!({ "tenant": t })))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    query: String,
    #[serde(default)]
    state: String,
}

async fn list(
    Extension(engine): Extension<Engine>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let state = match q.state.trim() {
        "" | "all" => None,
        s => Some(TenantState::parse(s).ok_or_else(|| Error::invalid("state", "unknown state"))?),
    };
    let list = tenants::list(&engine, &q.query, state).await?;
    Ok(reply(StatusCode::OK, json!({ "tenants": list })))
}

async fn create(Extension(engine): Extension<Engine>, body: Bytes) -> Result<Response, ApiError> {
    let body = JsonObject::parse(&body)?;
    let input = NewTenant {
        slug: body.string("slug")?,
        name: body.string("name")?,
        admin_email: body.string("admin_email")?,
        admin_password: body.optional_string("admin_password")?,
        placement: body.optional_string("placement")?,
        region: body.optional_string("region")?,
        pending: body.flag("pending")?,
        plan: body.optional_string("plan")?,
    };
    tenant_reply(
        StatusCode::CREATED,
        tenantry::lifecycle::create(&engine, input, ACTOR).await?,
    )
}

async fn show(
    Extension(engine): Extension<Engine>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let (tenant, branding) = tenants::get(&engine, &slug).await?;
    let branding = json!({
        "display_name": branding.display_name,
        "primary_color": branding.primary_color,
        "accent_color": branding.accent_color,
        "logo_url": branding.logo_url,
    });
    Ok(reply(
        StatusCode::OK,
        json!({ "tenant": tenant, "branding": branding }),
    ))
}

async fn activate(
    Extension(engine): Extension<Engine>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    tenant_reply(
        StatusCode::OK,
        tenants::activate(&engine, &slug, ACTOR).await?,
    )
}

async fn suspend(
    Extension(engine): Extension<Engine>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    tenant_reply(
        StatusCode::OK,
        tenants::suspend(&engine, &slug, ACTOR).await?,
    )
}

async fn resume(
    Extension(engine): Extension<Engine>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    tenant_reply(
        StatusCode::OK,
        tenants::resume(&engine, &slug, ACTOR).await?,
    )
}

/// Soft delete; the path names the tenant, which is the API's confirmation.
async fn remove(
    Extension(engine): Extension<Engine>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    tenant_reply(
        StatusCode::OK,
        tenants::delete(&engine, &slug, &slug, ACTOR).await?,
    )
}
