//! The one axum router: health checks on any host; everything else behind the
//! gateway (resolution → origin check → session), then the Leptos pages,
//! server functions, the JSON API, and static files.

use crate::{
    api, brand_assets, console_csv, console_restore, gateway, impersonate, platform_api, signup,
    sso,
};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, handle_server_fns, AxumRouteListing, LeptosRoutes};
use std::sync::Arc;
use tenantry::tenancy::Engine;
use tenantry::Settings;
use tenantry_app::backend::page_reads::PageReads;
use tenantry_app::shell::shell;
use tenantry_app::App;
use tower::Layer;

/// The routers' state: the Leptos options behind one `Arc`. leptos_axum
/// provides a clone of the state to every page render as context, and a
/// bare `LeptosOptions` is a dozen reference counts to clone and drop (about
/// 1 % of the sign-in page's CPU). Handlers that want the options take them
/// through `FromRef`.
#[derive(Clone)]
pub struct Site(Arc<LeptosOptions>);

impl FromRef<Site> for LeptosOptions {
    fn from_ref(site: &Site) -> Self {
        LeptosOptions::clone(&site.0)
    }
}

/// Leptos options from our settings (`cargo leptos` exports `LEPTOS_SITE_ROOT`
/// when it builds the site somewhere else, and that wins).
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT")
        .unwrap_or_else(|_| settings.site_root.display().to_string());
    LeptosOptions::builder()
        .output_name("app")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(settings.listen)
        .env(leptos::config::Env::PROD)
        .build()
}

/// The app's route list, generated once per process. Generating it runs the
/// app with resource loading suppressed through a process-wide flag, and a
/// resource first polled anywhere in the process meanwhile never resolves
/// (leptos_server 0.8: the flag is read once, then the future stays pending).
/// A process that builds several routers (the tests, several instances in
/// one process) would otherwise hang an unlucky page render; here every
/// caller waits for the one generation, and no page can render before a
/// router exists.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn build(engine: Engine, options: LeptosOptions) -> Router {
    // Before the route list: generating it sets Leptos's executor otherwise.
    assert!(
        crate::page_tasks::install(),
        "Leptos's executor was set before the router's: pages could wedge the server"
    );
    let routes = route_list();
    let site = Site(Arc::new(options));
    let scoped = Router::new()
        // Each page render shares one read transaction and member lookup
        // among its server functions (`PageReads`).
        .leptos_routes_with_context(&site, routes, PageReads::provide, {
            let site = site.clone();
            move || shell(LeptosOptions::from_ref(&site))
        })
        // An unregistered name answers like a registered one would be
        // refused: the declared layer below turns it away (fail closed).
        .route(
            "/api/{*fn_name}",
            get(handle_server_fns).post(handle_server_fns),
        )
        .merge(api::router())
        .merge(platform_api::router())
        .merge(brand_assets::router())
        .merge(sso::router())
        .merge(impersonate::router())
        .merge(signup::router())
        .merge(console_csv::router())
        .merge(console_restore::router())
        .fallback(leptos_axum::file_and_error_handler::<Site, _>(shell))
        .with_state(site)
        // A request's reactive tasks take turns (page_tasks.rs: a deadlock in
        // reactive_graph otherwise).
        .layer(middleware::from_fn(crate::page_tasks::layer))
        // Then the route's template, for the request's metrics.
        .layer(middleware::from_fn(gateway::metered::template_layer))
        // It reads the resolved scope and the session.
        .layer(middleware::from_fn(gateway::declared::layer))
        .layer(middleware::from_fn(gateway::limits::layer))
        .layer(middleware::from_fn(gateway::impersonation::layer))
        .layer(gateway::session::layer(&engine))
        .layer(middleware::from_fn(gateway::csrf::layer));
    // Resolution wraps the router as a whole (not its routes) because it may
    // rewrite the path (`/t/<slug>/…`) before routing happens.
    let resolved =
        middleware::from_fn_with_state(engine.clone(), gateway::resolve::layer).layer(scoped);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        // Before tenant resolution: the CA asks on the custom domain's host.
        .route("/.well-known/acme-challenge/{token}", get(acme_challenge))
        // Before tenant resolution: Stripe posts to whichever host it was
        // given; the signature is the credential.
        .route(
            "/webhooks/stripe",
            axum::routing::post(crate::billing_webhook::receive),
        )
        .route(
            "/webhooks/stripe/connect",
            axum::routing::post(crate::billing_webhook::receive_connect),
        )
        .fallback_service(resolved)
        .layer(middleware::from_fn_with_state(
            engine.clone(),
            gateway::security_headers::layer,
        ))
        .with_state(engine)
}

async fn readyz(State(engine): State<Engine>) -> impl IntoResponse {
    match engine.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::error!(error = ?e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// The HTTP-01 answer for `token`, whichever instance the CA reached.
async fn acme_challenge(
    State(engine): State<Engine>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> axum::response::Response {
    match tenantry::tls::acme::challenge_response(&engine, &token).await {
        Ok(Some(answer)) => answer.into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "acme challenge lookup failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
