//! Signing in and out, and the page context: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::PageCtx;
use crate::error::AppError;
use leptos::prelude::*;
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("page_context", Need::Anyone),
    ("sign_in", Need::Anyone),
    ("logout", Need::Anyone),
];

#[server]
pub async fn page_context() -> Result<PageCtx, AppError> {
    super::server::page_context().await
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    super::server::sign_in(email, password).await
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    super::server::logout().await
}
