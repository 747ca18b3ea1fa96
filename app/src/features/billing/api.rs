//! Billing: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::{InvoiceStatus, PageDto};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("billing_overview", Need::Manage),
    ("list_invoices", Need::Manage),
    ("billing_portal", Need::Manage),
    ("grant_credit", Need::Superadmin),
    ("close_period", Need::Superadmin),
    ("mark_invoice_paid", Need::Superadmin),
    ("list_meters", Need::Superadmin),
    ("save_meter", Need::Superadmin),
];

/// One meter's usage over a period, for a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterChartDto {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub aggregation: String,
    pub total: i64,
    /// `(YYYY-MM-DD, value)` for every day of the period.
    pub daily: Vec<(String, i64)>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLineDto {
    pub description: String,
    pub quantity: i64,
    pub included: i64,
    pub unit_amount: Option<i64>,
    /// Tiers applied, as text (`1–1000 × 0.00, 1001+ × 0.02`).
    pub tiers: String,
    pub amount: i64,
    pub prorated: bool,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceDto {
    /// Empty for the preview.
    pub number: String,
    pub period: String,
    pub currency: String,
    pub subtotal: i64,
    pub credits_applied: i64,
    pub total: i64,
    /// `preview`, `open`, `paid`.
    pub status: InvoiceStatus,
    pub lines: Vec<InvoiceLineDto>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingDto {
    pub slug: String,
    pub period: String,
    pub plan_name: String,
    /// `active` or `past_due`.
    pub standing: String,
    pub notice: Option<String>,
    pub credit_balance: i64,
    pub meters: Vec<MeterChartDto>,
    pub preview: InvoiceDto,
    pub on_console: bool,
    /// Payments are collected through Stripe (a billing-portal link is offered).
    pub stripe: bool,
}
pub use tenantry_vocab::money;
/// A meter as the console lists and edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterDefDto {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub aggregation: String,
    pub property: String,
    /// `property=value` per line.
    pub filters: String,
    pub built_in: bool,
}

#[server]
pub async fn billing_overview(slug: String) -> Result<BillingDto, AppError> {
    Box::pin(super::server::billing_overview(slug)).await
}

/// A page of the tenant's final invoices by period (`order` newest or
/// oldest first), after the cursor `after`; only those in `status` (`open`,
/// `paid`) when one is named.
#[server]
pub async fn list_invoices(
    slug: String,
    status: Option<String>,
    order: Option<String>,
    after: Option<String>,
) -> Result<PageDto<InvoiceDto>, AppError> {
    let (status, order, after) = (
        status.unwrap_or_default(),
        order.unwrap_or_default(),
        after.unwrap_or_default(),
    );
    Box::pin(super::server::list_invoices(slug, status, order, after)).await
}

/// A Stripe billing-portal link for entering payment details.
#[server]
pub async fn billing_portal(slug: String) -> Result<String, AppError> {
    Box::pin(super::server::billing_portal(slug)).await
}

#[server]
pub async fn grant_credit(slug: String, amount: String, reason: String) -> Result<(), AppError> {
    Box::pin(super::server::grant_credit(slug, amount, reason)).await
}

#[server]
pub async fn close_period(slug: String) -> Result<(), AppError> {
    Box::pin(super::server::close_period(slug)).await
}

#[server]
pub async fn mark_invoice_paid(slug: String, number: String) -> Result<(), AppError> {
    Box::pin(super::server::mark_invoice_paid(slug, number)).await
}

#[server]
pub async fn list_meters() -> Result<Vec<MeterDefDto>, AppError> {
    Box::pin(super::server::list_meters()).await
}

#[server]
pub async fn save_meter(
    key: String,
    name: String,
    unit: Option<String>,
    aggregation: String,
    property: Option<String>,
    filters: Option<String>,
) -> Result<(), AppError> {
    let input = tenantry::plans::meters::MeterInput {
        key,
        name,
        unit: unit.unwrap_or_default(),
        aggregation,
        property: property.unwrap_or_default(),
        filters: filters.unwrap_or_default(),
    };
    Box::pin(super::server::save_meter(input)).await
}
