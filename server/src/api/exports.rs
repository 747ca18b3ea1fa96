//! Export archives, downloaded on the tenant's own host by its owners and
//! admins. Another tenant's export, an unfinished or expired one, is a 404.

use super::auth::Authed;
use super::body::parse_id;
use super::error::ApiError;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tenantry::tenancy::Engine;

pub async fn download(
    auth: Authed,
    Extension(engine): Extension<Engine>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    // The declared need (admins) is checked here, before the archive is read.
    auth.run(async |_, _| Ok(())).await?;
    let id = parse_id(&id)?;
    // Archives are produced in memory too (see `tenantry::exports`), so
    // reading one whole is within the same bound.
    let (bytes, name) = tenantry::exports::archive(&engine, auth.ctx.tenant(), id).await?;
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
