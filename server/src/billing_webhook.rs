//! `POST /webhooks/stripe`, on any host and before tenant resolution: the
//! signature is the only credential (see `tenantry::billing::stripe_webhook`).

use crate::api::error::json_error;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tenantry::billing::stripe_webhook::{self, Outcome};
use tenantry::tenancy::Engine;

pub async fn receive(State(engine): State<Engine>, headers: HeaderMap, body: Bytes) -> Response {
    let header = headers
        .get(stripe_webhook::HEADER)
        .and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = stripe_webhook::authenticate(&engine, header, &body, now) {
        tracing::warn!(reason = %e, "stripe webhook refused");
        return json_error(&e);
    }
    match stripe_webhook::apply(&engine, &body).await {
        Ok(outcome) => {
            let said = match outcome {
                Outcome::Applied => "applied",
                Outcome::Duplicate => "duplicate",
                Outcome::Ignored => "ignored",
            };
            (
                StatusCode::OK,
                axum::Json(serde_json::json!({ "received": said })),
            )
                .into_response()
        }
        Err(e) => json_error(&e),
    }
}
