//! Billing mirrored to Stripe (when `stripe_secret_key` is set), through
//! async-stripe's client: requests built field by field and answers read
//! leniently (only the fields we use, so any API version parses); a Stripe
//! customer per tenant account, created once (its idempotency key is derived
//! from our account id, so a retry after a crash finds the same customer);
//! and invoices read back as Stripe holds them now, which is what webhooks
//! act on rather than the order events arrive in.

use super::accounts;
use crate::entities::catalog::stripe_customer;
use crate::entities::tenant::billing_account;
use crate::error::{Error, Result};
use crate::tenancy::{Engine, PlatformUse, TenantId, TenantRecord};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use secrecy::ExposeSecret;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError};
use stripe_client_core::{RequestBuilder, StripeMethod};

/// Stripe's API when no other base is configured.
const STRIPE_API: &str = "https://api.stripe.com";

/// The Stripe client, when Stripe is configured. async-stripe connects by
/// itself, so its address is checked under the outbound policy first.
pub async fn client(engine: &Engine) -> Result<Option<Client>> {
    let settings = engine.settings();
    let Some(key) = &settings.stripe_secret_key else {
        return Ok(None);
    };
    let base = settings.stripe_api_base.as_deref().unwrap_or(STRIPE_API);
    let url = url::Url::parse(base)
        .map_err(|_| Error::Unexpected(anyhow::anyhow!("stripe_api_base is not a URL")))?;
    crate::outbound::admit(crate::outbound::Destination::Stripe, settings, &url)
        .await
        .map_err(|e| Error::Unexpected(e.into()))?;
    // Two rustls providers are in the tree; pick ring (as the rest of the
    // server does) before the first HTTPS client is built.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let mut builder = ClientBuilder::new(key.expose_secret());
    if settings.stripe_api_base.is_some() {
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
    let Some(client) = client(engine).await? else {
        return Ok(None);
    };
    let account = accounts::account_of(engine, tenant.id).await?;
    customer_of(engine, &client, tenant, &account)
        .await
        .map(Some)
}

#[derive(miniserde::Deserialize)]
struct CreatedCustomer {
    id: String,
}

/// The account's Stripe customer (`account` as just read), created if it has
/// none: named after the tenant and tagged with it, under an idempotency key
/// from the account's id, so a retry after a crash finds the same customer.
pub async fn customer_of(
    engine: &Engine,
    client: &Client,
    tenant: &TenantRecord,
    account: &billing_account::Model,
) -> Result<String> {
    if let Some(id) = &account.stripe_customer_id {
        return Ok(id.clone());
    }
    let form = Form::default()
        .field("name", &tenant.name)
        .field("metadata[tenant_id]", tenant.id)
        .field("metadata[tenant_slug]", &tenant.slug)
        .field("metadata[billing_account]", account.id);
    let key = format!("tenantry-customer-{}", account.id);
    let created: CreatedCustomer = post(client, "/customers", &form, key).await?;
    // The directory first, so that Stripe's events about the customer find
    // the tenant as soon as the account names it.
    engine
        .on_records(tenant.id, async |records| {
            let entry = records.stamp(stripe_customer::ActiveModel {
                customer: Set(created.id.clone()),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            });
            stripe_customer::Entity::insert(entry)
                .on_conflict_do_nothing()
                .exec_without_returning(records)
                .await?;
            Ok(())
        })
        .await?;
    // Only if no other process recorded one meanwhile (the same customer,
    // thanks to the idempotency key).
    let ctx = engine.ctx(tenant.clone());
    let stored = ctx
        .run_for_platform(async |db| {
            billing_account::Entity::update_many()
                .set(billing_account::ActiveModel {
                    stripe_customer_id: Set(Some(created.id.clone())),
                    updated_at: Set(chrono::Utc::now()),
                    ..Default::default()
                })
                .filter(billing_account::Column::Id.eq(account.id))
                .filter(billing_account::Column::StripeCustomerId.is_null())
                .exec(db)
                .await?;
            accounts::of_tenant(db).await
        })
        .await?;
    Ok(stored.stripe_customer_id.unwrap_or(created.id))
}

/// The tenant a Stripe customer bills, from the directory.
pub async fn tenant_of_customer(engine: &Engine, customer: &str) -> Result<Option<TenantId>> {
    let found = engine
        .on_platform(PlatformUse::Directory, async |db| {
            Ok(stripe_customer::Entity::find_by_id(customer.to_owned())
                .one(db)
                .await?)
        })
        .await?;
    Ok(found.map(|entry| TenantId::from_uuid(entry.tenant)))
}

/// A customer as Stripe answers for it, deleted or not.
#[derive(miniserde::Deserialize)]
struct CustomerState {
    deleted: Option<bool>,
}

/// Deletes the tenant's Stripe customer, if it has one (at purge: Stripe
/// ends the customer's subscriptions with it). Returns the deleted
/// customer's id; `None` without Stripe or without a customer. Found in the
/// directory, so a purge that stopped after its plane went can run again;
/// a customer Stripe no longer has counts as deleted.
pub async fn delete_customer(engine: &Engine, tenant: TenantId) -> Result<Option<String>> {
    let Some(client) = client(engine).await? else {
        return Ok(None);
    };
    let entry = engine
        .on_records(tenant, async |records| {
            Ok(records
                .find::<stripe_customer::Entity>()
                .one(records)
                .await?)
        })
        .await?;
    let Some(customer) = entry.map(|entry| entry.customer) else {
        return Ok(None);
    };
    let key = format!("tenantry-customer-delete-{customer}");
    let deleted = RequestBuilder::new(StripeMethod::Delete, format!("/customers/{customer}"))
        .customize::<CustomerState>()
        .request_strategy(idempotent(key)?)
        .send(&client)
        .await;
    match deleted {
        Ok(_) | Err(StripeError::Stripe(_, 404)) => Ok(Some(customer)),
        Err(e) => Err(stripe_error(e)),
    }
}

/// Whether Stripe still holds `customer` as a live customer (the purge
/// receipt's check); `false` without Stripe.
pub async fn customer_remains(engine: &Engine, customer: &str) -> Result<bool> {
    let Some(client) = client(engine).await? else {
        return Ok(false);
    };
    let read = RequestBuilder::new(StripeMethod::Get, format!("/customers/{customer}"))
        .customize::<CustomerState>()
        .send(&client)
        .await;
    match read {
        Ok(state) => Ok(state.deleted != Some(true)),
        Err(StripeError::Stripe(_, 404)) => Ok(false),
        Err(e) => Err(stripe_error(e)),
    }
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
    get(client, &format!("/invoices/{id}")).await
}

/// A form body as Stripe reads it (`items[0][price]=…`), built field by field
/// so that what is sent is plain to see.
#[derive(Debug, Default, Clone)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn field(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.0.push((name.into(), value.to_string()));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`, as it will be sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn encode(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter())
            .finish()
    }
}

/// A write to Stripe under the idempotency key `key` (derived from our own
/// operation), its answer read leniently into `T`.
pub async fn post<T: miniserde::Deserialize + Send + 'static>(
    client: &Client,
    path: &str,
    form: &Form,
    key: String,
) -> Result<T> {
    write(client, None, path, form, key).await
}

/// A read from Stripe, its answer read leniently into `T`.
pub async fn get<T: miniserde::Deserialize + Send + 'static>(
    client: &Client,
    path: &str,
) -> Result<T> {
    RequestBuilder::new(StripeMethod::Get, path)
        .customize::<T>()
        .send(client)
        .await
        .map_err(stripe_error)
}

/// A write made as the connected account `account` (Stripe's
/// `Stripe-Account` header: the object belongs to that account), under the
/// idempotency key `key`.
pub async fn post_as<T: miniserde::Deserialize + Send + 'static>(
    client: &Client,
    account: &str,
    path: &str,
    form: &Form,
    key: String,
) -> Result<T> {
    write(client, Some(account), path, form, key).await
}

async fn write<T: miniserde::Deserialize + Send + 'static>(
    client: &Client,
    account: Option<&str>,
    path: &str,
    form: &Form,
    key: String,
) -> Result<T> {
    let mut request = RequestBuilder::new(StripeMethod::Post, path);
    request.body = Some(form.encode());
    let mut request = request.customize::<T>().request_strategy(idempotent(key)?);
    if let Some(account) = account {
        request = request.account_id(account.into());
    }
    request.send(client).await.map_err(stripe_error)
}

/// A read (as the connected account `account`, when given) in which "no
/// such object" (404) and "not allowed" (403: an account that no longer
/// lets the platform in) are answers: `None`.
pub async fn find<T: miniserde::Deserialize + Send + 'static>(
    client: &Client,
    account: Option<&str>,
    path: &str,
) -> Result<Option<T>> {
    let mut request = RequestBuilder::new(StripeMethod::Get, path).customize::<T>();
    if let Some(account) = account {
        request = request.account_id(account.into());
    }
    match request.send(client).await {
        Ok(found) => Ok(Some(found)),
        Err(StripeError::Stripe(_, 403 | 404)) => Ok(None),
        Err(e) => Err(stripe_error(e)),
    }
}

/// A Stripe delete, under an idempotency key.
pub async fn delete<T: miniserde::Deserialize + Send + 'static>(
    client: &Client,
    path: &str,
    key: String,
) -> Result<T> {
    RequestBuilder::new(StripeMethod::Delete, path)
        .customize::<T>()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await
        .map_err(stripe_error)
}
