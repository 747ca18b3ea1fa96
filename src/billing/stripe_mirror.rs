//! The tenant's billing mirrored to Stripe (when `stripe_secret_key` is set):
//! each plan price becomes a Stripe price, each tenant a subscription with one
//! item per price of its plan (per-seat items carry the headcount), and the
//! billable usage of each usage price, as our rating engine computes it, is
//! reported as Stripe meter events. Stripe then invoices and collects; its
//! invoices and their payment come back through the webhook.
//!
//! Our engine stays the authority on what is billable: a usage price's
//! Stripe meter receives the quantity left after the plan's included units
//! (reported as a running total, aggregated by Stripe as `last`, so a repeat
//! never counts twice), and its Stripe price carries only the per-unit,
//! package or tier arithmetic.
//!
//! Every write carries an idempotency key derived from our own operation:
//! the meter and price definitions, the subscription's plan assignment and
//! seat change, the period and total reported. A retry after a crash therefore
//! finds the object the first attempt created.
//!
//! About 410 lines: one tenant's mirror, step by step in the order it runs;
//! the catalogue and the subscription calls are in the submodules.

use super::accounts;
use super::invoices;
use super::period::Period;
use super::stripe::{self as remote, Form};
use crate::entities::catalog::{plan_assignment, stripe_mirror, tenant};
use crate::entities::tenant::billing_account;
use crate::entities::tenant::usage_event;
use crate::error::{Error, Result};
use crate::plans::meters::SEATS;
use crate::plans::prices::{Charge, Price, Tier, UsageModel};
use crate::tenancy::{Engine, PlatformUse, TenantCtx, TenantId, TenantRecord, TenantState};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};
use stripe::Client;

mod definitions;
mod subscriptions;

pub use definitions::event_name;
use definitions::*;
use subscriptions::*;

const METER: &str = "meter";
const PRICE: &str = "price";
const USAGE: &str = "usage";

/// Any Stripe object, by its id.
#[derive(Debug, miniserde::Deserialize)]
struct Created {
    id: String,
}

#[derive(Debug, miniserde::Deserialize)]
struct RemoteSubscription {
    id: String,
    status: Option<String>,
    items: RemoteItems,
    metadata: Option<SubscriptionMetadata>,
}

#[derive(Debug, miniserde::Deserialize)]
struct SubscriptionMetadata {
    billing_account: Option<String>,
}

#[derive(Debug, miniserde::Deserialize)]
struct SubscriptionList {
    data: Vec<RemoteSubscription>,
}

#[derive(Debug, miniserde::Deserialize)]
struct RemoteItems {
    data: Vec<RemoteItem>,
}

#[derive(Debug, miniserde::Deserialize)]
struct RemoteItem {
    id: String,
    price: Created,
    quantity: Option<i64>,
}

#[derive(Debug, miniserde::Deserialize)]
struct RemoteCustomer {
    invoice_settings: Option<InvoiceSettings>,
    default_source: Option<String>,
}

#[derive(Debug, miniserde::Deserialize)]
struct InvoiceSettings {
    default_payment_method: Option<String>,
}

#[derive(Debug, miniserde::Deserialize)]
struct PortalSession {
    url: String,
}

/// One item the subscription should have: the Stripe price, and the quantity
/// for licensed prices (metered ones have none).
#[derive(Debug, Clone, PartialEq)]
struct Wanted {
    price: String,
    quantity: Option<i64>,
}

fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

async fn recorded(engine: &Engine, kind: &str, key: &str) -> Result<Option<stripe_mirror::Model>> {
    Ok(
        stripe_mirror::Entity::find_by_id((kind.to_owned(), key.to_owned()))
            .one(engine.platform_tables())
            .await?,
    )
}

async fn record(
    engine: &Engine,
    kind: &str,
    key: &str,
    stripe_id: &str,
    value: Option<i64>,
) -> Result<()> {
    let row = stripe_mirror::ActiveModel {
        kind: Set(kind.to_owned()),
        our_key: Set(key.to_owned()),
        stripe_id: Set(stripe_id.to_owned()),
        value: Set(value),
        updated_at: Set(Utc::now()),
    };
    stripe_mirror::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([stripe_mirror::Column::Kind, stripe_mirror::Column::OurKey])
                .update_columns([
                    stripe_mirror::Column::StripeId,
                    stripe_mirror::Column::Value,
                    stripe_mirror::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(engine.platform_tables())
        .await?;
    Ok(())
}

/// How long after a period ends Stripe still takes usage for it (it
/// finalises the period's invoice about an hour later).
const STRIPE_USAGE_GRACE: chrono::Duration = chrono::Duration::minutes(55);

/// One tenant being mirrored: what each step reads.
struct Mirror<'a> {
    engine: &'a Engine,
    client: &'a Client,
    ctx: &'a TenantCtx,
    account: &'a billing_account::Model,
    customer: &'a str,
    prices: &'a [Price],
    plan_name: &'a str,
}

impl Mirror<'_> {
    /// Brings the tenant's Stripe subscription to its plan and headcount:
    /// created once the customer can pay, items changed when the plan or seats
    /// change, cancelled when the plan has no prices.
    async fn subscription(&self) -> Result<()> {
        let Self {
            engine,
            client,
            ctx,
            account,
            customer,
            prices,
            plan_name,
        } = *self;
        let tenant = ctx.tenant();
        if prices.is_empty() {
            // Nothing to bill: the recorded subscription is cancelled if still
            // live. The account keeps its id, so a later one is a new operation.
            return cancel_recorded(client, account).await;
        }
        let assignment = current_assignment(engine, tenant.id).await?;
        let remote_now = live_subscription(client, account, customer).await?;
        let (seats, seat_event) = headcount(ctx).await?;
        let mut wanted = Vec::new();
        for price in prices {
            let id = ensure_price(engine, client, &tenant.plan, plan_name, price).await?;
            let quantity = match price.charge {
                Charge::Flat { .. } => Some(1),
                Charge::PerSeat { .. } => Some(seats),
                Charge::Usage { .. } => None,
            };
            wanted.push(Wanted {
                price: id,
                quantity,
            });
        }
        let Some(sub) = remote_now else {
            if !can_pay(client, customer).await? {
                return Ok(());
            }
            // Stripe's periods are our UTC months: the first one runs (prorated)
            // to the start of the next month.
            let anchor = Period::containing(Utc::now()).end.timestamp();
            let mut form = Form::default()
                .field("customer", customer)
                .field("billing_cycle_anchor", anchor)
                .field("proration_behavior", "create_prorations")
                .field("metadata[tenant_id]", tenant.id)
                .field("metadata[billing_account]", account.id);
            for (i, w) in wanted.iter().enumerate() {
                form = form.field(format!("items[{i}][price]"), &w.price);
                if let Some(q) = w.quantity {
                    form = form.field(format!("items[{i}][quantity]"), q);
                }
            }
            // A subscription that ended is replaced by a new operation.
            let previous = account.stripe_subscription_id.as_deref().unwrap_or("first");
            let key = format!(
                "tenantry-subscription-{}-{assignment}-{previous}",
                account.id
            );
            let created: Created = remote::post(client, "/subscriptions", &form, key).await?;
            return set_subscription(engine, account, Some(created.id)).await;
        };
        if account.stripe_subscription_id.as_deref() != Some(sub.id.as_str()) {
            set_subscription(engine, account, Some(sub.id.clone())).await?;
        }
        let changes = item_changes(&sub.items.data, &wanted);
        if changes.is_empty() {
            return Ok(());
        }
        // Our operation: this plan assignment and this seat change, from this
        // state of the subscription (so a later change back is a new operation).
        let before: Vec<String> = sub
            .items
            .data
            .iter()
            .map(|i| format!("{}:{}:{:?}", i.id, i.price.id, i.quantity))
            .collect();
        let key = format!(
            "tenantry-items-{}-{assignment}-{}",
            account.id,
            digest(&format!("{seat_event}|{}|{wanted:?}", before.join(",")))
        );
        let form = changes.field("proration_behavior", "create_prorations");
        let _: Created =
            remote::post(client, &format!("/subscriptions/{}", sub.id), &form, key).await?;
        Ok(())
    }

    /// Reports each usage price's billable quantity so far this period (what our
    /// engine rates after included units), when it changed since the last report;
    /// in the first minutes of a period, the last one's final quantity as well.
    async fn report_usage(&self, now: DateTime<Utc>) -> Result<()> {
        if !self
            .prices
            .iter()
            .any(|p| matches!(p.charge, Charge::Usage { .. }))
        {
            return Ok(());
        }
        let current = Period::containing(now);
        let previous = current.previous();
        // The previous period's events are stamped just before it ended, so that
        // Stripe counts them in it.
        let mut periods = vec![(current, now)];
        if now - current.start < STRIPE_USAGE_GRACE {
            periods.push((previous, previous.end - chrono::Duration::seconds(1)));
        }
        for (period, stamp) in periods {
            self.report_period(period, stamp).await?;
        }
        Ok(())
    }

    async fn report_period(&self, period: Period, stamp: DateTime<Utc>) -> Result<()> {
        let Self {
            engine,
            client,
            ctx,
            account,
            customer,
            prices,
            ..
        } = *self;
        let db = ctx.read().await?;
        let rated = invoices::rate_period(engine, ctx, &db, period).await?;
        db.commit().await?;
        let plan = &ctx.tenant().plan;
        for price in prices
            .iter()
            .filter(|p| matches!(p.charge, Charge::Usage { .. }))
        {
            // The current plan's segment: the one that runs to the period's end.
            let billable: i64 = rated
                .lines
                .iter()
                .filter(|l| l.price == price.key && l.to == period.end)
                .map(|l| (l.quantity - l.included).max(0))
                .sum();
            let key = format!("{}/{plan}/{}/{}", account.id, price.key, period.label());
            let reported = recorded(engine, USAGE, &key).await?.and_then(|r| r.value);
            if reported == Some(billable) || (reported.is_none() && billable == 0) {
                continue;
            }
            let identifier = format!(
                "tenantry-{}-{plan}-{}-{}-{billable}",
                account.id,
                price.key,
                period.label()
            );
            let form = Form::default()
                .field("event_name", event_name(plan, &price.key))
                .field("payload[stripe_customer_id]", customer)
                .field("payload[value]", billable)
                .field("identifier", &identifier)
                .field("timestamp", stamp.timestamp());
            let _: miniserde::json::Value =
                remote::post(client, "/billing/meter_events", &form, identifier).await?;
            record(engine, USAGE, &key, "reported", Some(billable)).await?;
        }
        Ok(())
    }
}

/// Mirrors one tenant: its customer, its subscription, its usage.
pub async fn mirror_tenant(
    engine: &Engine,
    client: &Client,
    record: &TenantRecord,
    now: DateTime<Utc>,
) -> Result<()> {
    let account = accounts::account_of(engine, record.id).await?;
    let customer = remote::customer_of(engine, client, record, &account).await?;
    let ctx = engine.ctx_for(record.id).await?;
    let policy = engine.policy().await?;
    let (plan_name, prices) = policy
        .plan(&record.plan)
        .map(|p| (p.name.clone(), p.prices.clone()))
        .unwrap_or_else(|| (record.plan.clone(), Vec::new()));
    let mirror = Mirror {
        engine,
        client,
        ctx: &ctx,
        account: &account,
        customer: &customer,
        prices: &prices,
        plan_name: &plan_name,
    };
    mirror.subscription().await?;
    mirror.report_usage(now).await
}

/// The tenants Stripe hears about: active ones, and deleted ones (whose
/// subscription is cancelled).
pub(super) async fn billed_tenants(engine: &Engine) -> Result<Vec<tenant::Model>> {
    let states = [TenantState::Active.as_str(), TenantState::Deleted.as_str()];
    engine
        .on_platform(PlatformUse::Maintenance("stripe"), async |db| {
            Ok(tenant::Entity::find()
                .filter(tenant::Column::State.is_in(states))
                .all(db)
                .await?)
        })
        .await
}

/// A deleted tenant is no longer billed: its subscription is cancelled
/// (before a purge removes its account and, with it, the subscription's id).
pub(super) async fn cancel_departed(
    engine: &Engine,
    client: &Client,
    tenant: TenantId,
) -> Result<()> {
    let account = accounts::account_of(engine, tenant).await?;
    if account.stripe_subscription_id.is_none() {
        return Ok(());
    }
    cancel_recorded(client, &account).await?;
    set_subscription(engine, &account, None).await
}

/// A Stripe billing-portal link where the tenant's admin enters or changes
/// payment details; back to `return_url` afterwards.
pub async fn portal_link(
    engine: &Engine,
    record: &TenantRecord,
    return_url: &str,
) -> Result<String> {
    let Some(client) = remote::client(engine).await? else {
        return Err(Error::conflict(
            "stripe",
            "payments are not handled by Stripe on this platform",
        ));
    };
    let account = accounts::account_of(engine, record.id).await?;
    let customer = remote::customer_of(engine, &client, record, &account).await?;
    let form = Form::default()
        .field("customer", customer)
        .field("return_url", return_url);
    // Each visit is its own operation.
    let key = format!("tenantry-portal-{}-{}", account.id, uuid::Uuid::now_v7());
    let session: PortalSession =
        remote::post(&client, "/billing_portal/sessions", &form, key).await?;
    Ok(session.url)
}

#[cfg(test)]
mod tests;
