//! `POST /webhooks/stripe` and `POST /webhooks/stripe/connect`, on any host
//! and before tenant resolution: the signature is the only credential (see
//! `tenantry::billing::stripe_webhook` and `tenantry::billing::connect::webhook`).

use crate::api::error::json_error;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tenantry::billing::connect::webhook as connect_webhook;
use tenantry::billing::stripe_webhook::{self, Outcome};
use tenantry::tenancy::Engine;

/// The platform's own events (its tenants' billing, application fees).
pub async fn receive(State(engine): State<Engine>, headers: HeaderMap, body: Bytes) -> Response {
    let header = signature(&headers);
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = stripe_webhook::authenticate(&engine, header, &body, now) {
        tracing::warn!(reason = %e, "stripe webhook refused");
        return json_error(&e);
    }
    answer(stripe_webhook::apply(&engine, &body).await)
}

/// Events from tenants' connected accounts, signed with the Connect
/// endpoint's own secret.
pub async fn receive_connect(
    State(engine): State<Engine>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = signature(&headers);
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = connect_webhook::authenticate(&engine, header, &body, now) {
        tracing::warn!(reason = %e, "stripe connect webhook refused");
        return json_error(&e);
    }
    answer(connect_webhook::apply(&engine, &body).await)
}

fn signature(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(stripe_webhook::HEADER)
        .and_then(|v| v.to_str().ok())
}

fn answer(applied: tenantry::error::Result<Outcome>) -> Response {
    match applied {
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
