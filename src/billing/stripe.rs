//! Billing mirrored to Stripe (when `stripe_secret_key` is set), through
//! async-stripe: a Stripe customer per tenant account, created once (its
//! idempotency key is derived from our account id, so a retry after a crash
//! finds the same customer), and invoices read back as Stripe holds them now,
//! which is what webhooks act on rather than the order events arrive in.

use super::accounts;
use crate::entities::catalog::billing_account;
use crate::error::{Error, Result};
use crate::tenancy::{Engine, TenantRecord};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_client_core::{RequestBuilder, StripeMethod};

/// The Stripe client, when Stripe is configured.
pub fn client(engine: &Engine) -> Result<Option<Client>> {
    let settings = engine.settings();
    let Some(key) = &settings.stripe_secret_key else {
        return Ok(None);
    };
    // Two rustls providers are in the tree; pick ring (as the rest of the
    // server does) before the first HTTPS client is built.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let mut builder = ClientBuilder::new(key.expose_secret());
    if let Some(base) = &settings.stripe_api_base {
        builder = builder.url(base.trim_end_matches('/'));
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("stripe client: {e}")))
}

fn stripe_error(e: stripe::StripeError) -> Error {
    // The error names the request and Stripe's reason, never the key.
    Error::Unexpected(anyhow::anyhow!("stripe: {e}"))
}

fn idempotent(key: String) -> Result<RequestStrategy> {
    let key = IdempotencyKey::new(key)
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("idempotency key: {e}")))?;
    Ok(RequestStrategy::Idempotent(key))
}

/// The tenant's Stripe customer, created on first use. `None` without Stripe.
pub async fn ensure_customer(engine: &Engine, tenant: &TenantRecord) -> Result<Option<String>> {
    let Some(client) = client(engine)? else {
        return Ok(None);
    };
    let account = accounts::of_tenant(engine.catalog(), tenant.id).await?;
    if let Some(id) = account.stripe_customer_id {
        return Ok(Some(id));
    }
    let metadata: HashMap<String, String> = [
        ("tenant_id".to_owned(), tenant.id.to_string()),
        ("tenant_slug".to_owned(), tenant.slug.to_string()),
        ("billing_account".to_owned(), account.id.to_string()),
    ]
    .into();
    let customer = stripe_core::customer::CreateCustomer::new()
        .name(tenant.name.as_str())
        .metadata(metadata)
        .customize()
        .request_strategy(idempotent(format!("tenantry-customer-{}", account.id))?)
        .send(&client)
        .await
        .map_err(stripe_error)?;
    let id = customer.id.to_string();
    // Only if no other process recorded one meanwhile (the same customer,
    // thanks to the idempotency key).
    billing_account::Entity::update_many()
        .set(billing_account::ActiveModel {
            stripe_customer_id: Set(Some(id.clone())),
            updated_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .filter(billing_account::Column::Id.eq(account.id))
        .filter(billing_account::Column::StripeCustomerId.is_null())
        .exec(engine.catalog())
        .await?;
    let stored = accounts::of_tenant(engine.catalog(), tenant.id).await?;
    Ok(stored.stripe_customer_id.or(Some(id)))
}

/// Creates the Stripe customer of every active tenant that has none yet
/// (from the billing job; nothing without Stripe). A failure is logged and
/// retried on the next run.
pub async fn mirror_customers(engine: &Engine) -> Result<()> {
    use crate::entities::catalog::tenant;
    if client(engine)?.is_none() {
        return Ok(());
    }
    let mirrored: std::collections::HashSet<uuid::Uuid> = billing_account::Entity::find()
        .filter(billing_account::Column::StripeCustomerId.is_not_null())
        .all(engine.catalog())
        .await?
        .into_iter()
        .map(|a| a.tenant)
        .collect();
    let active = tenant::Entity::find()
        .filter(tenant::Column::State.eq("active"))
        .all(engine.catalog())
        .await?;
    for t in active.into_iter().filter(|t| !mirrored.contains(&t.id)) {
        let Some(record) = crate::catalog::resolve::load_record_by_id(
            engine,
            crate::tenancy::TenantId::from_uuid(t.id),
        )
        .await?
        else {
            continue;
        };
        if let Err(e) = ensure_customer(engine, &record).await {
            tracing::warn!(tenant_id = %t.id, error = %e, "stripe customer not created yet; retried on the next run");
        }
    }
    Ok(())
}

/// What we read of a Stripe invoice. Read leniently: only these fields, each
/// optional, whatever else the API version carries.
#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct RemoteInvoice {
    pub id: String,
    pub status: Option<String>,
    pub customer: Option<String>,
    pub attempted: Option<bool>,
}

/// The invoice as Stripe holds it now.
pub async fn invoice(client: &Client, id: &str) -> Result<RemoteInvoice> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::invalid("invoice", "not a Stripe invoice id"));
    }
    RequestBuilder::new(StripeMethod::Get, format!("/invoices/{id}"))
        .customize::<RemoteInvoice>()
        .send(client)
        .await
        .map_err(stripe_error)
}
