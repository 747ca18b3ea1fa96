//! A tenant's last restore or import, with its progress.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller (see
/// `backend::needs`).
pub const NEEDS: &[(&str, Need)] = &[("restore_status", Need::Superadmin)];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreDto {
    /// `restore` or `import`.
    pub kind: String,
    pub source: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub files_total: i64,
    pub files_done: i64,
    pub requested_by: String,
    pub error: Option<String>,
    pub created_at: String,
}

impl RestoreDto {
    pub fn is_unfinished(&self) -> bool {
        self.state == "queued" || self.state == "running"
    }
}

#[server]
pub async fn restore_status(slug: String) -> Result<Option<RestoreDto>, AppError> {
    Box::pin(super::server::restore_status(slug)).await
}
