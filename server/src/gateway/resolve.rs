//! Resolves the tenant before anything else, and fails closed: a host that is
//! neither the console nor a live tenant gets the same neutral 404 as a path
//! that does not exist. Forwarded headers are believed only from configured
//! trusted proxies.

use super::metered::{report_at_end, Started};
use crate::api::error::json_error;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use leptos::server_fn::ServerFn;
use std::net::SocketAddr;
use tenantry::catalog::resolve::{self, normalise_host};
use tenantry::identity::throttle::ClientIp;
use tenantry::observe::cpu::{CpuSpent, CpuTimed};
use tenantry::tenancy::{Engine, RequestScope, SiteOrigin, TenantState};
use tenantry_app::features::session::api::{Logout, PageContext};
use tracing::Instrument;

/// The host the request was addressed to, after trusted-proxy handling.
#[derive(Debug, Clone)]
pub struct EffectiveHost {
    /// Normalised host name (lowercase, no port): what resolution uses.
    pub name: String,
    /// Host and port as addressed (lowercase): what an `Origin` must match.
    pub authority: String,
}

pub const NOT_FOUND_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Not found</title></head><body><h1>Not found</h1><p>There is nothing here.</p></body></html>";

pub fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html(NOT_FOUND_PAGE)).into_response()
}

/// How long a request may take to produce its response head. Longer is a
/// fault (a lock or connection waited on forever), never normal work: long
/// jobs run in the background and report progress.
const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn layer(State(engine): State<Engine>, mut req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        tenant_id = tracing::field::Empty,
        method = %req.method(),
        path = %req.uri().path(),
    );
    async move {
        let started = std::time::Instant::now();
        let cpu = CpuSpent::default();
        let mut tenant = None;
        let run = CpuTimed::new(
            resolve_and_run(&engine, &mut req, next, &mut tenant),
            cpu.clone(),
        );
        let handled = tokio::time::timeout(REQUEST_DEADLINE, run);
        let mut response = match handled.await {
            Ok(response) => response,
            // Cancelling drops whatever the request held (transactions,
            // pooled connections), so one stuck request cannot hold up others;
            // the log names it.
            Err(_) => {
                tracing::error!(
                    deadline_secs = REQUEST_DEADLINE.as_secs(),
                    "request passed its deadline and was cancelled"
                );
                (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
            }
        };
        if let Ok(value) = request_id.parse() {
            response.headers_mut().insert("x-request-id", value);
        }
        tracing::info!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
        let observer = engine.observer().clone();
        let at = started;
        report_at_end(
            Started {
                observer,
                at,
                cpu,
                tenant,
            },
            response,
        )
    }
    .instrument(span)
    .await
}

/// Resolves the request's scope and runs it; `tenant` is set to the tenant
/// it was resolved to, if any (for the request's metrics).
async fn resolve_and_run(
    engine: &Engine,
    req: &mut Request,
    next: Next,
    tenant: &mut Option<uuid::Uuid>,
) -> Response {
    let Some(EffectiveHost {
        name: host,
        authority,
    }) = effective_host(engine, req)
    else {
        return not_found();
    };
    let mut scope = match resolve::by_host(engine, &host).await {
        Ok(scope) => scope,
        Err(e) => {
            tracing::error!(error = ?e, "tenant resolution failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
        }
    };
    // Under path-prefix routing, links to this tenant keep its `/t/<slug>`.
    let mut site_prefix = String::new();
    let on_base_host = host == engine.settings().base_domain;
    if scope.is_none() && on_base_host && engine.settings().path_prefix_routing {
        if let Some((slug, rest)) = strip_tenant_prefix(req.uri()) {
            site_prefix = format!("/t/{slug}");
            scope = resolve::by_slug(engine, &slug).await.unwrap_or(None);
            if scope.is_none() && rest.path().starts_with(CONFIRM_PREFIX) {
                scope = resolve::awaiting_confirmation(engine, &slug)
                    .await
                    .unwrap_or(None);
            }
            *req.uri_mut() = rest;
            if scope.is_none() {
                return not_found();
            }
        }
    }
    if scope.is_none() && on_base_host {
        // The platform's public site: signup, and nothing else.
        if !is_site_path(req.uri().path()) {
            return not_found();
        }
        scope = Some(RequestScope::Site);
    }
    let base_suffix = format!(".{}", engine.settings().base_domain);
    let label = host.strip_suffix(&base_suffix);
    if let Some(label) =
        label.filter(|_| scope.is_none() && req.uri().path().starts_with(CONFIRM_PREFIX))
    {
        // A signup's tenant, pending: its confirmation link alone.
        scope = match resolve::awaiting_confirmation(engine, label).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = ?e, "tenant resolution failed");
                return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
            }
        };
    }
    let Some(scope) = scope else {
        return not_found();
    };
    // Plans and flags as of now, for everything this request checks.
    let policy = match engine.policy().await {
        Ok(policy) => policy,
        Err(e) => {
            tracing::error!(error = ?e, "policy snapshot unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
        }
    };
    let path = req.uri().path().to_owned();
    match &scope {
        RequestScope::Console => {
            if path == "/" {
                return Redirect::to("/console").into_response();
            }
        }
        RequestScope::Site => {
            if path == "/" {
                return Redirect::to("/signup").into_response();
            }
        }
        RequestScope::Tenant(ctx) => {
            tracing::Span::current().record("tenant_id", tracing::field::display(ctx.id()));
            *tenant = Some(ctx.id().uuid());
            if path == "/console" || path.starts_with("/console/") {
                return not_found();
            }
            let refused = is_refused_while_suspended(req.method(), &path);
            if ctx.tenant().state == TenantState::Suspended && refused {
                return json_error(&tenantry::Error::Suspended);
            }
            if let Some(redirect) = to_primary_host(engine, ctx, &host, &authority, req) {
                return redirect;
            }
        }
    }
    // Rates and quotas are charged once the caller is known (`limits`).
    req.extensions_mut().insert(policy);
    let client = client_ip(engine, req);
    req.extensions_mut().insert(client);
    req.extensions_mut().insert(scope);
    req.extensions_mut().insert(engine.clone());
    let scheme = if engine.settings().secure_cookies {
        "https"
    } else {
        "http"
    };
    req.extensions_mut()
        .insert(SiteOrigin(format!("{scheme}://{authority}{site_prefix}")));
    req.extensions_mut().insert(EffectiveHost {
        name: host,
        authority,
    });
    next.run(std::mem::replace(req, Request::new(Body::empty())))
        .await
}

/// Pages of a tenant with a primary custom domain are served there: a page
/// request on any other of its hosts is redirected (API calls are not, so
/// clients configured with the subdomain keep working).
fn to_primary_host(
    engine: &Engine,
    ctx: &tenantry::tenancy::TenantCtx,
    host: &str,
    authority: &str,
    req: &Request,
) -> Option<Response> {
    let primary = ctx.tenant().primary_host.as_deref()?;
    let path = req.uri().path();
    let page = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && !path.starts_with("/api/")
        && !path.starts_with("/pkg/");
    if host == primary || !page {
        return None;
    }
    let scheme = if engine.settings().secure_cookies {
        "https"
    } else {
        "http"
    };
    let port = authority
        .rsplit_once(':')
        .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        .map(|(_, p)| format!(":{p}"))
        .unwrap_or_default();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target = format!("{scheme}://{primary}{port}{path_and_query}");
    Some(Redirect::temporary(&target).into_response())
}

/// A suspended tenant keeps its pages (which show the suspended notice, and
/// its logo) but nothing can change it: every state-changing request and its
/// whole API and every server function are refused, except the page context
/// and sign-out.
fn is_refused_while_suspended(method: &axum::http::Method, path: &str) -> bool {
    if path == PageContext::PATH || path == Logout::PATH {
        return false;
    }
    let reads = matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD);
    path.starts_with("/api/") || !reads
}

/// Where a signup's confirmation link points, on its tenant's host.
const CONFIRM_PREFIX: &str = "/signup/confirm/";

/// What the base host serves: the signup page, its server functions and the
/// static files pages load.
fn is_site_path(path: &str) -> bool {
    matches!(path, "/" | "/signup" | "/favicon.ico")
        || path.starts_with("/pkg/")
        || (path.starts_with("/api/") && !path["/api/".len()..].contains('/'))
}

/// `/t/<slug>/rest` → (`slug`, `/rest`).
fn strip_tenant_prefix(uri: &Uri) -> Option<(String, Uri)> {
    let rest = uri.path().strip_prefix("/t/")?;
    let (slug, tail) = match rest.split_once('/') {
        Some((slug, tail)) => (slug, format!("/{tail}")),
        None => (rest, "/".to_owned()),
    };
    let with_query = match uri.query() {
        Some(q) => format!("{tail}?{q}"),
        None => tail,
    };
    Some((slug.to_owned(), with_query.parse().ok()?))
}

fn effective_host(engine: &Engine, req: &Request) -> Option<EffectiveHost> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let trusted = peer.is_some_and(|ip| engine.settings().is_trusted_proxy(ip));
    let headers = req.headers();
    let forwarded = if trusted {
        forwarded_host(headers)
    } else {
        None
    };
    let raw = forwarded
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .or_else(|| req.uri().authority().map(|a| a.to_string()))?;
    Some(EffectiveHost {
        name: normalise_host(&raw)?,
        authority: raw.trim().trim_end_matches('.').to_ascii_lowercase(),
    })
}

/// The client's address: the TCP peer, or, when the peer is a trusted
/// proxy, the nearest hop of `X-Forwarded-For` that is not one (read from
/// the right: the left end is whatever the client wrote). Never a header
/// from anyone else.
fn client_ip(engine: &Engine, req: &Request) -> ClientIp {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let settings = engine.settings();
    let Some(peer) = peer else {
        return ClientIp(None);
    };
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    ClientIp(Some(nearest_untrusted(peer, &hops, |ip| {
        settings.is_trusted_proxy(ip)
    })))
}

/// Walks from `peer` back along the forwarded hops (right to left) while
/// each is a trusted proxy; the first that is not is the client. An
/// unreadable hop ends the walk at the last trusted one.
fn nearest_untrusted(
    peer: std::net::IpAddr,
    hops: &[&str],
    trusted: impl Fn(std::net::IpAddr) -> bool,
) -> std::net::IpAddr {
    let mut client = peer;
    for hop in hops.iter().rev() {
        if !trusted(client) {
            break;
        }
        match hop.trim().parse() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
    }
    client
}

fn forwarded_host(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get("x-forwarded-host")
        .and_then(|v| v.to_str().ok())
    {
        return v.split(',').next().map(|h| h.trim().to_owned());
    }
    let forwarded = headers.get(header::FORWARDED)?.to_str().ok()?;
    let first = forwarded.split(',').next()?;
    first.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        key.eq_ignore_ascii_case("host")
            .then(|| value.trim_matches('"').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_nearest_forwarded_hop_that_is_not_a_trusted_proxy() {
        let proxies: Vec<tenantry::config::ProxyRange> = ["10.0.0.0/8", "192.0.2.1"]
            .into_iter()
            .map(|r| r.to_owned().try_into().expect("range"))
            .collect();
        let trusted = |ip| {
            proxies
                .iter()
                .any(|r: &tenantry::config::ProxyRange| r.contains(ip))
        };
        let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
        // Through two proxies of the range; the client's own claim on the
        // left is ignored.
        let hops = ["1.2.3.4", "203.0.113.9", "10.1.1.1"];
        assert_eq!(
            nearest_untrusted(ip("10.9.9.9"), &hops, trusted),
            ip("203.0.113.9")
        );
        // An exact address is a range of one.
        assert_eq!(
            nearest_untrusted(ip("192.0.2.1"), &["203.0.113.5"], trusted),
            ip("203.0.113.5")
        );
        // A peer that is no proxy is the client, whatever it forwards.
        assert_eq!(
            nearest_untrusted(ip("198.51.100.7"), &hops, trusted),
            ip("198.51.100.7")
        );
        // Nothing forwarded, or junk: the nearest trusted hop.
        assert_eq!(
            nearest_untrusted(ip("10.9.9.9"), &[], trusted),
            ip("10.9.9.9")
        );
        assert_eq!(
            nearest_untrusted(ip("10.9.9.9"), &["1.2.3.4", "junk"], trusted),
            ip("10.9.9.9")
        );
        assert!(tenantry::config::ProxyRange::try_from("10.0.0.0/33".to_owned()).is_err());
    }

    #[test]
    fn tenant_prefix_is_stripped_with_its_query() {
        let uri: Uri = "/t/acme/projects/1?x=2".parse().expect("uri");
        let (slug, rest) = strip_tenant_prefix(&uri).expect("prefix");
        assert_eq!(slug, "acme");
        assert_eq!(rest.to_string(), "/projects/1?x=2");
    }

    #[test]
    fn forwarded_header_host_is_read() {
        let mut h = HeaderMap::new();
        h.insert(
            header::FORWARDED,
            "for=1.2.3.4;host=\"b.localhost\";proto=http"
                .parse()
                .expect("hv"),
        );
        assert_eq!(forwarded_host(&h).as_deref(), Some("b.localhost"));
    }
}
