//! Refuses state-changing requests (anything but GET, HEAD, OPTIONS) that a
//! browser sent from another origin. Browsers always send `Origin` on such
//! requests; non-browser clients (curl, API clients) send neither `Origin` nor
//! `Sec-Fetch-Site` and are not subject to CSRF.

use super::EffectiveHost;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;

pub async fn layer(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let host = req
        .extensions()
        .get::<EffectiveHost>()
        .map(|h| h.0.clone())
        .unwrap_or_default();
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let same_origin = match origin {
        Some(origin) => origin_host(origin).is_some_and(|o| o == host),
        None => !matches!(fetch_site, Some("cross-site") | Some("same-site")),
    };
    if !same_origin {
        tracing::warn!(?origin, "cross-origin state-changing request refused");
        return crate::api::error::json_error(&tenantry::Error::forbidden(
            "cross_origin",
            "cross-origin requests are not allowed",
        ));
    }
    next.run(req).await
}

/// `http://acme.localhost:3000` → `acme.localhost` (normalised like hosts).
fn origin_host(origin: &str) -> Option<String> {
    let authority = origin.split_once("://")?.1;
    tenantry::catalog::resolve::normalise_host(authority)
}

#[cfg(test)]
mod tests {
    use super::origin_host;

    #[test]
    fn origin_host_drops_scheme_and_port() {
        assert_eq!(
            origin_host("http://Acme.localhost:3000").as_deref(),
            Some("acme.localhost")
        );
        assert_eq!(origin_host("null"), None);
    }
}
