//! A tenant's logo and favicon: served publicly on its own host (the sign-in
//! page shows them) and uploaded by its owners and admins. Which file is
//! which is fixed by the route, and whose by the host: a path names no
//! tenant and no storage key. The table is iterated by the attack suite.

use crate::api::auth::Authed;
use crate::api::error::{json_error, ApiError};
use crate::page_routes::{router_of, PageRoute};
use crate::router::Site;
use axum::extract::{Multipart, Path};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use tenantry::authz::Need;
use tenantry::branding::assets as branding_assets;
use tenantry::storage::Asset;
use tenantry::tenancy::RequestScope;
use tenantry::Error;

pub fn table() -> Vec<PageRoute> {
    vec![
        PageRoute {
            method: "GET",
            path: "/brand/{file}",
            need: Need::Anyone,
            handler: get(serve),
        },
        PageRoute {
            method: "POST",
            path: "/admin/branding/{asset}",
            need: Need::Admin,
            handler: post(upload),
        },
    ]
}

pub fn router() -> Router<Site> {
    router_of(table())
        // The largest accepted image plus multipart framing.
        .layer(axum::extract::DefaultBodyLimit::max(
            branding_assets::MAX_UPLOAD_BYTES + 64 * 1024,
        ))
}

async fn serve(Extension(scope): Extension<RequestScope>, Path(file): Path<String>) -> Response {
    let (Ok(ctx), Some(asset)) = (scope.tenant(), Asset::from_file_name(&file)) else {
        return json_error(&Error::NotFound);
    };
    match branding_assets::fetch(ctx, asset).await {
        Ok(Some(png)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=300"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            png,
        )
            .into_response(),
        Ok(None) => json_error(&Error::NotFound),
        Err(e) => json_error(&e),
    }
}

/// A browser's form post is answered with a redirect back to the branding
/// page (with the error, if any); an API client gets JSON.
async fn upload(
    auth: Authed,
    Path(asset): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let from_browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let outcome = store(&auth, &asset, multipart).await;
    match (outcome, from_browser) {
        (Ok(url), false) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "url": url })),
        )
            .into_response(),
        (Ok(_), true) => Redirect::to("/admin/branding").into_response(),
        (Err(ApiError(Error::Invalid(f))), true) => {
            let message: String = url_escape(&f.message);
            Redirect::to(&format!("/admin/branding?upload_error={message}")).into_response()
        }
        (Err(e), _) => e.into_response(),
    }
}

async fn store(
    auth: &Authed,
    asset: &str,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Option<String>, ApiError> {
    let asset = match asset {
        "logo" => Asset::Logo,
        "favicon" => Asset::Favicon,
        _ => return Err(Error::NotFound.into()),
    };
    let actor = auth.run(async |_, actor| Ok(actor.clone())).await?;
    let mut multipart =
        multipart.map_err(|_| Error::invalid("file", "send the image as multipart/form-data"))?;
    let mut bytes = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| Error::invalid("file", "the upload could not be read"))?
    {
        if field.name() == Some("file") {
            let data = field
                .bytes()
                .await
                .map_err(|_| Error::invalid("file", "must be at most 1 MB"))?;
            bytes = Some(data);
        }
    }
    let bytes = bytes.ok_or_else(|| Error::invalid("file", "choose an image file"))?;
    let saved = branding_assets::upload(&auth.ctx, asset, &bytes, &actor.label).await?;
    Ok(match asset {
        Asset::Logo => saved.logo_url,
        Asset::Favicon => saved.favicon_url,
    })
}

pub(crate) fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
