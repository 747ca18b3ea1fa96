//! A page's HTTP status, set on the response the server is rendering.

use leptos::prelude::use_context;

/// Answers 404 (a render outside a request has no response: nothing to set).
pub fn not_found() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}
