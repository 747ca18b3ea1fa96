//! Refuses state-changing requests (anything but GET, HEAD, OPTIONS) that a
//! browser sent from another origin. Browsers always send `Origin` on such
//! requests; non-browser clients (curl, API clients) send neither `Origin` nor
//! `Sec-Fetch-Site` and are not subject to CSRF. The origin must match the
//! addressed host *and port*, and be https when cookies are `Secure`.

use super::EffectiveHost;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use tenantry::tenancy::Engine;

pub async fn layer(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let authority = req
        .extensions()
        .get::<EffectiveHost>()
        .map(|h| h.authority.as_str());
    let https_only = req
        .extensions()
        .get::<Engine>()
        .is_some_and(|e| e.settings().secure_cookies);
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let same_origin = match (origin, authority) {
        (Some(origin), Some(authority)) => origin_matches(origin, authority, https_only),
        (Some(_), None) => false,
        (None, _) => !matches!(fetch_site, Some("cross-site") | Some("same-site")),
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

/// `http://acme.localhost:3000` matches the authority `acme.localhost:3000`.
fn origin_matches(origin: &str, authority: &str, https_only: bool) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let scheme_ok = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" => !https_only,
        _ => false,
    };
    scheme_ok && rest.trim_end_matches('/').eq_ignore_ascii_case(authority)
}

#[cfg(test)]
mod tests {
    use super::origin_matches;

    #[test]
    fn origin_must_match_host_port_and_scheme() {
        assert!(origin_matches(
            "http://Acme.localhost:3000",
            "acme.localhost:3000",
            false
        ));
        assert!(!origin_matches(
            "http://acme.localhost:3001",
            "acme.localhost:3000",
            false
        ));
        assert!(!origin_matches(
            "http://acme.localhost",
            "acme.localhost:3000",
            false
        ));
        assert!(!origin_matches(
            "http://acme.localhost:3000",
            "acme.localhost:3000",
            true
        ));
        assert!(origin_matches(
            "https://acme.example.com",
            "acme.example.com",
            true
        ));
        assert!(!origin_matches("null", "acme.localhost", false));
    }
}
