//! Background jobs: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::{JobDto, TenantWorkDto};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("tenant_work", Need::Manage),
    ("job_overview", Need::Superadmin),
    ("retry_job", Need::Superadmin),
    ("cancel_job", Need::Superadmin),
];

/// How many jobs of one kind one tenant has in each state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobCountDto {
    pub slug: String,
    pub kind: String,
    pub queued: u64,
    pub running: u64,
    pub dead: u64,
    pub done: u64,
    pub cancelled: u64,
}
/// The job queue across tenants (the console's jobs page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOverviewDto {
    pub counts: Vec<JobCountDto>,
    /// Dead and waiting jobs, newest first.
    pub attention: Vec<JobDto>,
    pub tenants_not_shown: u64,
}

#[server]
pub async fn job_overview() -> Result<JobOverviewDto, AppError> {
    Box::pin(super::server::job_overview()).await
}

#[server]
pub async fn retry_job(slug: String, job_id: String) -> Result<(), AppError> {
    Box::pin(super::server::retry_job(slug, job_id)).await
}

#[server]
pub async fn cancel_job(slug: String, job_id: String) -> Result<(), AppError> {
    Box::pin(super::server::cancel_job(slug, job_id)).await
}

/// A page of the tenant's jobs (`order` newest or oldest first, after the
/// cursor `after`, only those in `state` when one is named) and a move under
/// way.
#[server]
pub async fn tenant_work(
    slug: String,
    state: Option<String>,
    order: Option<String>,
    after: Option<String>,
) -> Result<TenantWorkDto, AppError> {
    let (state, order, after) = (
        state.unwrap_or_default(),
        order.unwrap_or_default(),
        after.unwrap_or_default(),
    );
    Box::pin(super::server::tenant_work(slug, state, order, after)).await
}
