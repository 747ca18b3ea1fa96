//! A tenant's subscription on Stripe: its items set to the plan's prices
//! (seats carry the headcount), the subscription found again after a crash,
//! cancelled when the tenant leaves.

use super::*;

/// The tenant's headcount, and the id of the latest seat-change event (our
/// operation id for a quantity update), in one read.
pub(super) async fn headcount(ctx: &TenantCtx) -> Result<(i64, String)> {
    let db = ctx.read().await?;
    let seats = crate::billing::platform_usage::seats(&db).await? as i64;
    let latest = usage_event::Entity::find()
        .filter(usage_event::Column::Meter.eq(SEATS))
        .order_by_desc(usage_event::Column::OccurredAt)
        .order_by_desc(usage_event::Column::ReceivedAt)
        .one(&db)
        .await?;
    db.commit().await?;
    Ok((seats.max(1), latest.map(|e| e.id).unwrap_or_default()))
}

/// The time of the tenant's current plan assignment: our operation id for a
/// plan change.
pub(super) async fn current_assignment(engine: &Engine, tenant: TenantId) -> Result<i64> {
    let latest = engine
        .on_records(tenant, async |records| {
            Ok(records
                .find::<plan_assignment::Entity>()
                .order_by_desc(plan_assignment::Column::Since)
                .one(records)
                .await?)
        })
        .await?;
    Ok(latest.map(|a| a.since.timestamp()).unwrap_or_default())
}

pub(super) async fn set_subscription(
    engine: &Engine,
    account: &billing_account::Model,
    id: Option<String>,
) -> Result<()> {
    let ctx = engine
        .ctx_for(TenantId::from_uuid(account.tenant_id))
        .await?;
    ctx.run_for_platform(async |db| {
        billing_account::Entity::update_many()
            .set(billing_account::ActiveModel {
                stripe_subscription_id: Set(id),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(billing_account::Column::Id.eq(account.id))
            .exec(db)
            .await?;
        Ok(())
    })
    .await
}

/// The changes that turn the subscription's items into the wanted ones:
/// items of prices no longer wanted deleted, quantities corrected, missing
/// prices added.
pub(super) fn item_changes(remote: &[RemoteItem], wanted: &[Wanted]) -> Form {
    let mut form = Form::default();
    let mut i = 0;
    for item in remote {
        match wanted.iter().find(|w| w.price == item.price.id) {
            None => {
                form = form
                    .field(format!("items[{i}][id]"), &item.id)
                    .field(format!("items[{i}][deleted]"), "true");
                i += 1;
            }
            Some(w) if w.quantity.is_some() && w.quantity != item.quantity => {
                form = form
                    .field(format!("items[{i}][id]"), &item.id)
                    .field(format!("items[{i}][quantity]"), w.quantity.unwrap_or(1));
                i += 1;
            }
            Some(_) => {}
        }
    }
    for w in wanted {
        if !remote.iter().any(|item| item.price.id == w.price) {
            form = form.field(format!("items[{i}][price]"), &w.price);
            if let Some(q) = w.quantity {
                form = form.field(format!("items[{i}][quantity]"), q);
            }
            i += 1;
        }
    }
    form
}

pub(super) fn ended(sub: &RemoteSubscription) -> bool {
    matches!(
        sub.status.as_deref(),
        Some("canceled" | "incomplete_expired")
    )
}

/// The subscription the account records, unless it ended.
pub(super) async fn recorded_subscription(
    client: &Client,
    account: &billing_account::Model,
) -> Result<Option<RemoteSubscription>> {
    let Some(id) = &account.stripe_subscription_id else {
        return Ok(None);
    };
    let sub: RemoteSubscription = remote::get(client, &format!("/subscriptions/{id}")).await?;
    Ok((!ended(&sub)).then_some(sub))
}

/// The account's live subscription on Stripe. When none is recorded, or the
/// recorded one ended, a live one may exist all the same (created by an
/// attempt whose answer we lost): it is adopted rather than duplicated.
pub(super) async fn live_subscription(
    client: &Client,
    account: &billing_account::Model,
    customer: &str,
) -> Result<Option<RemoteSubscription>> {
    if let Some(sub) = recorded_subscription(client, account).await? {
        return Ok(Some(sub));
    }
    let list: SubscriptionList =
        remote::get(client, &format!("/subscriptions?customer={customer}")).await?;
    let ours = account.id.to_string();
    Ok(list.data.into_iter().find(|s| {
        !ended(s)
            && s.metadata
                .as_ref()
                .and_then(|m| m.billing_account.as_deref())
                == Some(ours.as_str())
    }))
}

/// Cancels the subscription the account records, if it is still live.
pub(super) async fn cancel_recorded(
    client: &Client,
    account: &billing_account::Model,
) -> Result<()> {
    if let Some(sub) = recorded_subscription(client, account).await? {
        let key = format!("tenantry-cancel-{}", sub.id);
        let _: Created = remote::delete(client, &format!("/subscriptions/{}", sub.id), key).await?;
    }
    Ok(())
}

/// Whether the customer has entered payment details (through the billing
/// portal): until then Stripe has nothing to collect with, and the built-in
/// engine's invoices stand alone.
pub(super) async fn can_pay(client: &Client, customer: &str) -> Result<bool> {
    let remote: RemoteCustomer = remote::get(client, &format!("/customers/{customer}")).await?;
    let method = remote
        .invoice_settings
        .and_then(|s| s.default_payment_method);
    Ok(method.or(remote.default_source).is_some())
}
