//! Export archives, downloaded on the tenant's own host by its owners and
//! admins. Another tenant's export, an unfinished or expired one, is a 404.

use super::body::{member, parse_id};
use super::error::ApiError;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tenantry::tenancy::{Engine, RequestScope};
use tenantry::Error;
use tower_sessions::Session;

pub async fn download(
    scope: Extension<RequestScope>,
    Extension(engine): Extension<Engine>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (ctx, who) = member(&scope, &session).await?;
    if !who.role.can_administer() {
        return Err(
            Error::forbidden("forbidden", "only owners and admins can download exports").into(),
        );
    }
    let id = parse_id(&id)?;
    let (path, name) = tenantry::exports::archive(&engine, ctx.tenant(), id).await?;
    // Archives are produced in memory too (see `tenantry::exports`), so
    // reading one whole is within the same bound.
    let bytes = tokio::fs::read(&path).await.map_err(|_| Error::NotFound)?;
    let body = Body::from(bytes);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
