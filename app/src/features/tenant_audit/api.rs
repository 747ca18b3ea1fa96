//! The tenant's audit log and support access: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::{AuditRow, PageDto};
use crate::error::AppError;
use leptos::prelude::*;
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("list_tenant_audit", Need::Admin),
    ("support_access_refused", Need::Admin),
    ("set_support_access", Need::Owner),
];

/// A page of the organisation's log (`order` newest or oldest first):
/// entries whose actor or action contains `query` (any case), after the
/// cursor `after`.
#[server]
pub async fn list_tenant_audit(
    query: Option<String>,
    order: Option<String>,
    after: Option<String>,
) -> Result<PageDto<AuditRow>, AppError> {
    let (query, order, after) = (
        query.unwrap_or_default(),
        order.unwrap_or_default(),
        after.unwrap_or_default(),
    );
    Box::pin(super::server::list_tenant_audit(query, order, after)).await
}

#[server]
pub async fn support_access_refused() -> Result<bool, AppError> {
    Box::pin(super::server::support_access_refused()).await
}

/// A checkbox: present to refuse support access.
#[server]
pub async fn set_support_access(refuse: Option<String>) -> Result<(), AppError> {
    let refuse = refuse.is_some_and(|v| !v.is_empty() && v != "false");
    Box::pin(super::server::set_support_access(refuse)).await
}
