//! The console's tenants, audit log, mailbox and impersonation: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::{AuditRow, BrandingDto, PageDto, TenantState};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("list_tenants", Need::Superadmin),
    ("create_tenant", Need::Superadmin),
    ("purge_tenant", Need::Superadmin),
    ("activate_tenant", Need::Superadmin),
    ("get_tenant", Need::Superadmin),
    ("suspend_tenant", Need::Superadmin),
    ("resume_tenant", Need::Superadmin),
    ("delete_tenant", Need::Superadmin),
    ("list_audit", Need::Superadmin),
    ("list_mailbox", Need::Superadmin),
    ("impersonate", Need::Superadmin),
    ("invite_signup", Need::Superadmin),
    ("console_overview", Need::Superadmin),
];

/// A started impersonation: the single-use link to the tenant's host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImpersonationLinkDto {
    pub url: String,
    pub expires_at: String,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub state: TenantState,
    pub placement: String,
    /// The schema or database name of a `schema` / `database` placement.
    pub location: Option<String>,
    pub created_at: String,
    pub deleted_at: Option<String>,
    /// The key of the tenant's plan.
    #[serde(default)]
    pub plan: String,
    /// The cluster holding its rows, and that cluster's region.
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub region: String,
}

/// One page of the console's tenant list, and what its filters offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantListDto {
    pub rows: Vec<TenantRow>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
    /// Every plan's key, for the plan filter.
    pub plans: Vec<String>,
    /// Every region the deployment's clusters are in, for the region filter.
    #[serde(default)]
    pub regions: Vec<String>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantDetail {
    pub tenant: TenantRow,
    pub branding: BrandingDto,
    pub url: String,
}
/// A deletion receipt: what each store held of the tenant before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptDto {
    pub slug: String,
    pub purged_at: String,
    pub complete: bool,
    /// (store, before, after)
    pub stores: Vec<(String, u64, u64)>,
}
/// A message in the console's dev mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailDto {
    pub id: String,
    pub to: String,
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// A page of tenants: `query` searches slug and name (any case); `state`,
/// `plan` and `placement` filter (empty: any live state, any plan, any
/// placement); `sort` is `newest` (empty), `oldest`, `slug` or `name`;
/// `after` is the previous page's `next`.
#[server]
pub async fn list_tenants(
    query: String,
    state: String,
    plan: Option<String>,
    placement: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    region: Option<String>,
) -> Result<TenantListDto, AppError> {
    let filters = super::server::TenantFilters {
        q: query,
        state,
        plan: plan.unwrap_or_default(),
        placement: placement.unwrap_or_default(),
        region: region.unwrap_or_default(),
        sort: sort.unwrap_or_default(),
        after: after.unwrap_or_default(),
    };
    Box::pin(super::server::list_tenants(filters)).await
}

#[server]
pub async fn create_tenant(
    slug: String,
    name: String,
    admin_email: String,
    admin_password: String,
    /// Empty or absent: the deployment's default.
    placement: Option<String>,
    /// A checkbox: present to provision ahead and leave the tenant pending.
    pending: Option<String>,
) -> Result<TenantRow, AppError> {
    let placement = placement.unwrap_or_default();
    let pending = pending.is_some_and(|v| !v.is_empty() && v != "false");
    Box::pin(super::server::create_tenant(
        slug,
        name,
        admin_email,
        admin_password,
        placement,
        pending,
    ))
    .await
}

/// Purges a deleted tenant now (typed confirmation), returning its receipt.
#[server]
pub async fn purge_tenant(slug: String, confirm: String) -> Result<ReceiptDto, AppError> {
    Box::pin(super::server::purge_tenant(slug, confirm)).await
}

#[server]
pub async fn activate_tenant(slug: String) -> Result<TenantRow, AppError> {
    Box::pin(super::server::activate_tenant(slug)).await
}

#[server]
pub async fn get_tenant(slug: String) -> Result<TenantDetail, AppError> {
    Box::pin(super::server::get_tenant(slug)).await
}

#[server]
pub async fn suspend_tenant(slug: String) -> Result<TenantRow, AppError> {
    Box::pin(super::server::suspend_tenant(slug)).await
}

#[server]
pub async fn resume_tenant(slug: String) -> Result<TenantRow, AppError> {
    Box::pin(super::server::resume_tenant(slug)).await
}

#[server]
pub async fn delete_tenant(slug: String, confirm: String) -> Result<TenantRow, AppError> {
    Box::pin(super::server::delete_tenant(slug, confirm)).await
}

/// A page of the platform audit log (`order` newest or oldest first):
/// entries whose actor or action contains `query`, after the page whose
/// `next` was `after`.
#[server]
pub async fn list_audit(
    query: Option<String>,
    order: Option<String>,
    after: Option<String>,
) -> Result<PageDto<AuditRow>, AppError> {
    let (query, order, after) = (
        query.unwrap_or_default(),
        order.unwrap_or_default(),
        after.unwrap_or_default(),
    );
    Box::pin(super::server::list_audit(query, order, after)).await
}

#[server]
pub async fn list_mailbox() -> Result<Vec<MailDto>, AppError> {
    Box::pin(super::server::list_mailbox()).await
}

/// Invites `email` to sign an organisation up (where signup is by
/// invitation); the link to hand on.
#[server]
pub async fn invite_signup(email: String) -> Result<String, AppError> {
    Box::pin(super::server::invite_signup(email)).await
}

/// Starts a support session as a tenant's member; the link to open it.
#[server]
pub async fn impersonate(
    slug: String,
    email: String,
    reason: String,
) -> Result<ImpersonationLinkDto, AppError> {
    Box::pin(super::server::impersonate(slug, email, reason)).await
}

/// The fleet at a glance, for the console's first page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewDto {
    pub total: u64,
    pub by_state: Vec<(String, u64)>,
    pub by_plan: Vec<(String, u64)>,
    pub by_placement: Vec<(String, u64)>,
    /// `(Monday, signups, churned)`, oldest first.
    pub weeks: Vec<(String, u64, u64)>,
    pub past_due: u64,
    pub failed_deliveries: u64,
    pub tenants_with_failed_jobs: u64,
    /// The active tenants' flat plan fees this period, as money text per
    /// currency.
    pub base_fees: Vec<String>,
}

#[server]
pub async fn console_overview() -> Result<OverviewDto, AppError> {
    Box::pin(super::server::console_overview()).await
}
