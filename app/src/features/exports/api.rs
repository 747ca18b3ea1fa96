//! Data exports: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::ExportState;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("request_export", Need::Manage),
    ("list_exports", Need::Manage),
];

/// A tenant data export and its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDto {
    pub id: String,
    /// `queued`, `running`, `done`, `failed` or `expired`.
    pub state: ExportState,
    pub rows_total: i64,
    pub rows_done: i64,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// On the tenant's own host, where its admins download it.
    pub download_url: Option<String>,
}

#[server]
pub async fn request_export(slug: String) -> Result<ExportDto, AppError> {
    Box::pin(super::server::request_export(slug)).await
}

#[server]
pub async fn list_exports(slug: String) -> Result<Vec<ExportDto>, AppError> {
    Box::pin(super::server::list_exports(slug)).await
}
