//! `/metrics` for Prometheus, on a listener of its own
//! (`observability.metrics_listen`): operators reach it, tenant hosts never
//! do (the main router has no such route). Each scrape first counts the
//! connection pools, then renders every family.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tenantry::tenancy::Engine;

/// OpenMetrics text, as `prometheus-client` encodes it.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub fn router(engine: Engine) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(engine)
}

/// Serves [`router`] on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, engine: Engine) {
    if let Err(e) = axum::serve(listener, router(engine)).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

async fn metrics(State(engine): State<Engine>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        scrape(&engine).await,
    )
}

/// What a scrape answers: the pools counted now, then every family.
pub async fn scrape(engine: &Engine) -> String {
    let observer = engine.observer();
    for (placement, in_use, idle) in engine.connection_usage().await {
        observer.pool(placement, in_use, idle);
    }
    observer.render()
}
