//! Webhook endpoints and deliveries: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::{DeliveryState, PageDto};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("list_webhooks", Need::Manage),
    ("create_webhook", Need::Manage),
    ("rotate_webhook_secret", Need::Manage),
    ("set_webhook_enabled", Need::Manage),
    ("remove_webhook", Need::Manage),
    ("webhook_deliveries", Need::Manage),
    ("resend_delivery", Need::Manage),
];

/// A webhook endpoint as its owner sees it (the secret only as a hint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDto {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub secret_hint: String,
    /// While a rotation overlaps: until when the previous secret still signs.
    pub previous_secret_until: Option<String>,
    pub created_at: String,
}
/// An endpoint with its signing secret, shown once after creation or rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSecretDto {
    pub endpoint: WebhookDto,
    pub secret: String,
}
/// One line of an endpoint's delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryDto {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub tenant_slug: String,
    pub status: DeliveryState,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_response: Option<String>,
    pub last_attempt_at: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
}

#[server]
pub async fn list_webhooks() -> Result<Vec<WebhookDto>, AppError> {
    Box::pin(super::server::list_webhooks()).await
}

#[server]
pub async fn create_webhook(
    url: String,
    description: String,
    events: String,
) -> Result<WebhookSecretDto, AppError> {
    Box::pin(super::server::create_webhook(url, description, events)).await
}

#[server]
pub async fn rotate_webhook_secret(endpoint_id: String) -> Result<WebhookSecretDto, AppError> {
    Box::pin(super::server::rotate_webhook_secret(endpoint_id)).await
}

#[server]
pub async fn set_webhook_enabled(
    endpoint_id: String,
    enabled: bool,
) -> Result<WebhookDto, AppError> {
    Box::pin(super::server::set_webhook_enabled(endpoint_id, enabled)).await
}

#[server]
pub async fn remove_webhook(endpoint_id: String) -> Result<(), AppError> {
    Box::pin(super::server::remove_webhook(endpoint_id)).await
}

/// A page of the endpoint's deliveries (`order` newest or oldest first),
/// after the cursor `after`; only those in `status` when one is named.
#[server]
pub async fn webhook_deliveries(
    endpoint_id: String,
    status: Option<String>,
    order: Option<String>,
    after: Option<String>,
) -> Result<PageDto<DeliveryDto>, AppError> {
    let (status, order, after) = (
        status.unwrap_or_default(),
        order.unwrap_or_default(),
        after.unwrap_or_default(),
    );
    Box::pin(super::server::webhook_deliveries(
        endpoint_id,
        status,
        order,
        after,
    ))
    .await
}

#[server]
pub async fn resend_delivery(delivery_id: String) -> Result<(), AppError> {
    Box::pin(super::server::resend_delivery(delivery_id)).await
}
