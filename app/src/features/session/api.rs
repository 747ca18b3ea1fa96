//! Signing in and out, and the page context: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::PageCtx;
use crate::error::AppError;
use leptos::prelude::*;

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
