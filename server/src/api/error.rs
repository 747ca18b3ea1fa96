//! API errors are JSON: `{"error": {"code", "message", "field"?}}`, with the
//! status from the core error. Unexpected errors are logged with their cause
//! and shown only as a generic message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub struct ApiError(pub tenantry::Error);

impl From<tenantry::Error> for ApiError {
    fn from(e: tenantry::Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_error(&self.0)
    }
}

pub fn json_error(err: &tenantry::Error) -> Response {
    if let tenantry::Error::Unexpected(cause) = err {
        tracing::error!(error = ?cause, "request failed");
    }
    let public = err.public();
    let status = StatusCode::from_u16(public.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "error": public }))).into_response()
}

/// 415 for a body that is not declared `application/json`.
pub fn unsupported_media_type() -> Response {
    let body = json!({ "error": {
        "code": "unsupported_media_type",
        "message": "send the body as application/json",
        "field": "content-type",
    }});
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response()
}
