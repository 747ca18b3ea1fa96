//! The tenant's audit log and support access: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::AuditRow;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn list_tenant_audit() -> Result<Vec<AuditRow>, AppError> {
    super::server::list_tenant_audit().await
}

#[server]
pub async fn support_access_refused() -> Result<bool, AppError> {
    super::server::support_access_refused().await
}

/// A checkbox: present to refuse support access.
#[server]
pub async fn set_support_access(refuse: Option<String>) -> Result<(), AppError> {
    let refuse = refuse.is_some_and(|v| !v.is_empty() && v != "false");
    super::server::set_support_access(refuse).await
}
