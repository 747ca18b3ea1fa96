//! Payments: the server functions (each body one call into `server.rs`)
//! and the data they carry to the browser. No Stripe secret, key or
//! internal id beyond the tenant's own account id ever reaches it.

use crate::dto::PageDto;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("payments_overview", Need::Admin),
    ("connect_payments", Need::Owner),
    ("disconnect_payments", Need::Owner),
    ("add_offer", Need::Admin),
    ("archive_offer", Need::Admin),
    ("list_purchases", Need::Admin),
    ("refund_purchase", Need::Admin),
    ("shop", Need::Reader),
    ("buy_offer", Need::SignedIn),
    ("my_purchase", Need::SignedIn),
    ("console_payments", Need::Superadmin),
];

/// The tenant's connected account as its pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDto {
    /// `none`, `onboarding`, `active`, `restricted`.
    pub state: String,
    /// Stripe's `acct_…` (the tenant's own account).
    pub account: Option<String>,
    pub details_submitted: bool,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
    pub requirements_due: Vec<String>,
    pub connected_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferDto {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `12.50 EUR`.
    pub price: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentsDto {
    /// The platform has Stripe configured at all.
    pub available: bool,
    pub account: AccountDto,
    pub offers: Vec<OfferDto>,
    /// The platform's fee under the tenant's plan, in words.
    pub fee: String,
    /// The signed-in member may connect and disconnect (owners only).
    pub owner: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseDto {
    pub id: String,
    pub item: String,
    pub amount: String,
    pub fee: String,
    pub refunded: String,
    /// `open`, `paid`, `partially_refunded`, `refunded`, `expired`.
    pub status: String,
    pub disputed: bool,
    pub buyer: String,
    pub created_at: String,
}

/// The shop as a member sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopDto {
    /// The organisation can take payments now.
    pub open: bool,
    pub offers: Vec<OfferDto>,
}

/// One currency's figures over a period, for the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotalsDto {
    pub currency: String,
    pub payments: i64,
    pub volume: String,
    pub refunded: String,
    pub fees: String,
    pub disputed: i64,
}

/// The console's payments view: one tenant's (`slug` given) or the
/// platform's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsolePaymentsDto {
    pub period: String,
    /// The tenant's account; `None` for the platform view.
    pub account: Option<AccountDto>,
    pub totals: Vec<TotalsDto>,
}

/// The tenant's payments page; `returned` after Stripe's onboarding, when
/// the account is read back from Stripe first.
#[server]
pub async fn payments_overview(returned: Option<bool>) -> Result<PaymentsDto, AppError> {
    Box::pin(super::server::payments_overview(returned.unwrap_or(false))).await
}

/// Connects the organisation's Stripe account (created on first use) and
/// answers Stripe's onboarding page to go to.
#[server]
pub async fn connect_payments() -> Result<String, AppError> {
    Box::pin(super::server::connect_payments()).await
}

#[server]
pub async fn disconnect_payments(confirm: String) -> Result<(), AppError> {
    Box::pin(super::server::disconnect_payments(confirm)).await
}

#[server]
pub async fn add_offer(
    name: String,
    description: Option<String>,
    price: String,
    currency: String,
) -> Result<OfferDto, AppError> {
    Box::pin(super::server::add_offer(
        name,
        description.unwrap_or_default(),
        price,
        currency,
    ))
    .await
}

#[server]
pub async fn archive_offer(offer_id: String) -> Result<(), AppError> {
    Box::pin(super::server::archive_offer(offer_id)).await
}

/// A page of the organisation's purchases, newest first.
#[server]
pub async fn list_purchases(after: Option<String>) -> Result<PageDto<PurchaseDto>, AppError> {
    Box::pin(super::server::list_purchases(after.unwrap_or_default())).await
}

/// Refunds what remains of a purchase (and the platform's fee with it).
#[server]
pub async fn refund_purchase(purchase_id: String) -> Result<PurchaseDto, AppError> {
    Box::pin(super::server::refund_purchase(purchase_id)).await
}

#[server]
pub async fn shop() -> Result<ShopDto, AppError> {
    Box::pin(super::server::shop()).await
}

/// Starts a purchase; answers the checkout page (on Stripe) to go to.
#[server]
pub async fn buy_offer(offer_id: String) -> Result<String, AppError> {
    Box::pin(super::server::buy_offer(offer_id)).await
}

/// One of the signed-in member's own purchases, read back from Stripe when
/// it is still open (the buyer just came back from checkout).
#[server]
pub async fn my_purchase(purchase_id: String) -> Result<PurchaseDto, AppError> {
    Box::pin(super::server::my_purchase(purchase_id)).await
}

/// Volume and fees in `period` (`YYYY-MM`, empty: this month): the tenant
/// `slug`'s with its account, or the platform's for an empty slug.
#[server]
pub async fn console_payments(
    slug: Option<String>,
    period: Option<String>,
) -> Result<ConsolePaymentsDto, AppError> {
    Box::pin(super::server::console_payments(
        slug.unwrap_or_default(),
        period.unwrap_or_default(),
    ))
    .await
}
