//! Plans, entitlements and overrides: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

// Server functions mirror their forms field by field; a form here has more
// fields than clippy's default limit, and the attribute cannot reach the
// client stub the `#[server]` macro generates, so it is allowed here.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("plan_usage", Need::Manage),
    ("list_plans", Need::Superadmin),
    ("save_plan", Need::Superadmin),
    ("remove_plan", Need::Superadmin),
    ("assign_plan", Need::Superadmin),
    ("set_override", Need::Superadmin),
    ("remove_override", Need::Superadmin),
];

/// One entitlement the registry knows, for forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntitlementDef {
    pub key: String,
    pub label: String,
    /// `feature`, `limit`, `quota` or `rate`.
    pub kind: String,
    /// For a quota: `day` or `month`.
    pub period: Option<String>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDto {
    pub key: String,
    pub name: String,
    pub tier: String,
    pub price_ref: String,
    pub placement_hint: String,
    pub quota_enforcement: String,
    /// Entitlement key → value as typed (`true`, `10`, empty: unlimited).
    pub values: Vec<(String, String)>,
    /// The plan's prices as JSON (see docs/billing.md).
    pub prices: String,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlansPage {
    pub plans: Vec<PlanDto>,
    pub registry: Vec<EntitlementDef>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageDto {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub period: Option<String>,
    pub enabled: bool,
    pub used: Option<i64>,
    pub limit: Option<i64>,
    pub overridden: bool,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverrideDto {
    pub key: String,
    pub value: String,
    pub reason: String,
    pub expires_at: Option<String>,
    pub created_by: String,
    pub in_force: bool,
}
/// A tenant's plan, what it grants and how much is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanUsageDto {
    pub slug: String,
    pub plan_key: String,
    pub plan_name: String,
    pub tier: String,
    pub quota_enforcement: String,
    pub rows: Vec<UsageDto>,
    pub overrides: Vec<OverrideDto>,
    /// (key, name) of every plan: filled on the console only.
    pub plans: Vec<(String, String)>,
    pub registry: Vec<EntitlementDef>,
}

#[server]
pub async fn list_plans() -> Result<PlansPage, AppError> {
    Box::pin(super::server::list_plans()).await
}

/// A plan's own fields and one field per entitlement (named by its key;
/// checkboxes for features are absent when off).
#[server]
pub async fn save_plan(
    key: String,
    name: String,
    tier: String,
    price_ref: Option<String>,
    placement_hint: Option<String>,
    quota_enforcement: Option<String>,
    sso: Option<String>,
    custom_domains: Option<String>,
    api_access: Option<String>,
    max_members: Option<String>,
    max_projects: Option<String>,
    api_requests_per_month: Option<String>,
    events_per_day: Option<String>,
    requests_per_second: Option<String>,
    burst: Option<String>,
    prices: Option<String>,
) -> Result<PlanDto, AppError> {
    let entitlements = [
        ("sso", sso),
        ("custom_domains", custom_domains),
        ("api_access", api_access),
        ("max_members", max_members),
        ("max_projects", max_projects),
        ("api_requests_per_month", api_requests_per_month),
        ("events_per_day", events_per_day),
        ("requests_per_second", requests_per_second),
        ("burst", burst),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
    .collect();
    let input = tenantry::plans::store::PlanInput {
        key,
        name,
        tier,
        price_ref: price_ref.unwrap_or_default(),
        placement_hint: placement_hint.unwrap_or_default(),
        quota_enforcement: quota_enforcement.unwrap_or_default(),
        entitlements,
        prices: prices.unwrap_or_default(),
    };
    Box::pin(super::server::save_plan(input)).await
}

#[server]
pub async fn remove_plan(key: String) -> Result<(), AppError> {
    Box::pin(super::server::remove_plan(key)).await
}

#[server]
pub async fn plan_usage(slug: String) -> Result<PlanUsageDto, AppError> {
    Box::pin(super::server::plan_usage(slug)).await
}

#[server]
pub async fn assign_plan(slug: String, plan: String) -> Result<(), AppError> {
    Box::pin(super::server::assign_plan(slug, plan)).await
}

#[server]
pub async fn set_override(
    slug: String,
    key: String,
    value: String,
    reason: String,
    expires_at: Option<String>,
) -> Result<(), AppError> {
    let input = tenantry::plans::overrides::OverrideInput {
        key,
        value,
        reason,
        expires_at: expires_at.unwrap_or_default(),
    };
    Box::pin(super::server::set_override(slug, input)).await
}

#[server]
pub async fn remove_override(slug: String, key: String) -> Result<(), AppError> {
    Box::pin(super::server::remove_override(slug, key)).await
}
