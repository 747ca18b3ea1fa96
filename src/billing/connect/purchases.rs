//! An end-user's purchase of an offer, paid on the tenant's connected
//! account.
//!
//! **Direct charges**: the Checkout Session is created *as* the connected
//! account (`Stripe-Account`), so the tenant is the merchant of record,
//! Stripe's checkout page and receipt carry the tenant's name and colours,
//! refunds and disputes are the tenant's, and the platform's share is the
//! `application_fee_amount` Stripe moves to the platform. (Destination
//! charges would make the platform the merchant, its name on the buyer's
//! statement and checkout, which is what the tenant's customers must never
//! see.)
//!
//! The purchase row is written before Stripe is called, and its state is
//! always what Stripe answers when the session, payment and charge are read
//! back, whichever event (or the buyer's return) asked for the read: a
//! repeated or reordered event finds the same state.

use super::{accounts, client, fees, ledger, stripe_id};
use crate::billing::stripe::{find, post_as, Form};
use crate::entities::search::{in_time_order, Page, Place};
use crate::entities::tenant::{offer, purchase as row};
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::mail::{compose, outbox};
use crate::tenancy::TenantCtx;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use tenantry_vocab::money;
use uuid::Uuid;

#[derive(miniserde::Deserialize)]
struct Session {
    id: String,
    url: Option<String>,
    status: Option<String>,
    payment_intent: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct PaymentIntent {
    latest_charge: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct Charge {
    id: String,
    amount: i64,
    amount_refunded: Option<i64>,
    disputed: Option<bool>,
    application_fee: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct ApplicationFee {
    amount: i64,
    amount_refunded: Option<i64>,
}

/// Stripe's answer to a refund: its effect is read back with the charge.
#[derive(miniserde::Deserialize)]
struct Refund {
    #[allow(dead_code)]
    status: Option<String>,
}

/// A purchase's state, from what Stripe holds.
fn status_of(session_status: Option<&str>, charge: Option<&Charge>) -> &'static str {
    match charge {
        Some(c) if c.amount_refunded.unwrap_or(0) >= c.amount && c.amount > 0 => "refunded",
        Some(c) if c.amount_refunded.unwrap_or(0) > 0 => "partially_refunded",
        Some(_) => "paid",
        None if session_status == Some("expired") => "expired",
        None => "open",
    }
}

/// Who buys: a member of the tenant (its id and address).
pub struct Buyer<'a> {
    pub id: Uuid,
    pub email: &'a str,
}

/// Starts `buyer`'s purchase of `offer_id`: the row first, then the
/// Checkout Session on the tenant's account. Answers the page to send the
/// buyer to.
pub async fn start(ctx: &TenantCtx, buyer: Buyer<'_>, offer_id: Uuid) -> Result<String> {
    ctx.ensure_active()?;
    // Another tenant's offer is as missing as one that never was.
    let item = ctx
        .run(false, async |db| {
            offer::Entity::find()
                .filter(offer::Column::Id.eq(offer_id))
                .one(db)
                .await?
                .ok_or(Error::NotFound)
        })
        .await?;
    if !item.active {
        return Err(Error::invalid("offer", "this offer is no longer on sale"));
    }
    let client = client(ctx.engine()).await?;
    let account = accounts::connected(ctx).await?;
    if !account.charges_enabled {
        return Err(Error::invalid(
            "account",
            "this organisation cannot take payments yet: its Stripe account is not fully set up",
        ));
    }
    let fee = fees::application_fee(&ctx.entitlements().await?.values, item.amount);
    let id = Uuid::new_v4();
    let now = Utc::now();
    let bought = ctx
        .run(true, async |db| {
            Ok(db
                .insert(row::ActiveModel {
                    id: Set(id),
                    offer_id: Set(item.id),
                    buyer_id: Set(buyer.id),
                    buyer_email: Set(buyer.email.to_owned()),
                    item: Set(item.name.clone()),
                    account: Set(account.account.clone()),
                    amount: Set(item.amount),
                    currency: Set(item.currency.clone()),
                    fee: Set(fee),
                    status: Set("open".into()),
                    amount_refunded: Set(0),
                    fee_refunded: Set(0),
                    disputed: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .await?)
        })
        .await?;
    let origin = ctx.public_origin();
    let form = Form::default()
        .field("mode", "payment")
        .field("line_items[0][price_data][currency]", &bought.currency)
        .field("line_items[0][price_data][unit_amount]", bought.amount)
        .field(
            "line_items[0][price_data][product_data][name]",
            &bought.item,
        )
        .field("line_items[0][quantity]", 1)
        .field("payment_intent_data[application_fee_amount]", bought.fee)
        .field("payment_intent_data[metadata][purchase_id]", id)
        .field("client_reference_id", id)
        .field("customer_email", buyer.email)
        .field("metadata[purchase_id]", id)
        .field(
            "success_url",
            format!("{origin}/shop/purchases/{id}?session={{CHECKOUT_SESSION_ID}}"),
        )
        .field("cancel_url", format!("{origin}/shop"));
    let key = format!("tenantry-checkout-{id}");
    let session: Session =
        post_as(&client, &bought.account, "/checkout/sessions", &form, key).await?;
    let url = session
        .url
        .clone()
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("checkout session without a url")))?;
    ctx.run_for_platform(async |db| {
        let mut next = bought.into_active_model();
        next.checkout_session = Set(Some(session.id.clone()));
        next.checkout_url = Set(Some(url.clone()));
        next.updated_at = Set(Utc::now());
        next.update(db).await?;
        let detail = serde_json::json!({ "purchase": id, "offer": offer_id }).to_string();
        relay::raise(
            db,
            Raised::audit("payments.checkout_started", buyer.email, &detail),
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(url)
}

/// One purchase of the tenant's.
pub async fn get(ctx: &TenantCtx, id: Uuid) -> Result<row::Model> {
    ctx.run(false, async |db| {
        row::Entity::find()
            .filter(row::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(Error::NotFound)
    })
    .await
}

/// A page of the tenant's purchases, newest first; only `buyer`'s when
/// given (a member's own list).
pub async fn page(ctx: &TenantCtx, buyer: Option<Uuid>, place: &Place) -> Result<Page<row::Model>> {
    let mut select = row::Entity::find();
    if let Some(buyer) = buyer {
        select = select.filter(row::Column::BuyerId.eq(buyer));
    }
    let select = in_time_order(select, row::Column::CreatedAt, row::Column::Id, place)?;
    let rows = ctx.run(false, async |db| Ok(select.all(db).await?)).await?;
    Ok(Page::cut(rows, |p| (p.created_at, p.id)))
}

/// The purchase an object on `account` is about: by our id in its
/// metadata, by its Checkout Session, PaymentIntent or Charge. Only this
/// tenant's purchases on that very account are candidates.
pub async fn find_for(
    ctx: &TenantCtx,
    account: &str,
    purchase: Option<Uuid>,
    object_ids: &[&str],
) -> Result<Option<row::Model>> {
    let ids: Vec<String> = object_ids.iter().map(|s| (*s).to_owned()).collect();
    ctx.run(false, async |db| {
        let by_object = sea_orm::Condition::any()
            .add(row::Column::CheckoutSession.is_in(ids.clone()))
            .add(row::Column::PaymentIntent.is_in(ids.clone()))
            .add(row::Column::Charge.is_in(ids.clone()));
        let which = match purchase {
            Some(id) => sea_orm::Condition::any()
                .add(row::Column::Id.eq(id))
                .add(by_object),
            None => by_object,
        };
        Ok(row::Entity::find()
            .filter(which)
            .filter(row::Column::Account.eq(account))
            .one(db)
            .await?)
    })
    .await
}

/// Reads the purchase back from Stripe (as its connected account) and
/// stores what Stripe holds: paid, refunded, disputed, the fee and what of
/// it was refunded. The platform's ledger follows.
pub async fn sync(ctx: &TenantCtx, purchase: row::Model) -> Result<row::Model> {
    let client = client(ctx.engine()).await?;
    let account = purchase.account.as_str();
    let Some(session_id) = purchase.checkout_session.clone() else {
        // The session was never created (Stripe refused it): nothing to read.
        return Ok(purchase);
    };
    if !stripe_id(&session_id, "cs_") || !stripe_id(account, "acct_") {
        return Err(Error::Unexpected(anyhow::anyhow!(
            "stored Stripe ids are malformed"
        )));
    }
    let path = format!("/checkout/sessions/{session_id}");
    let Some(session) = find::<Session>(&client, Some(account), &path).await? else {
        return Ok(purchase);
    };
    let payment_intent = session
        .payment_intent
        .clone()
        .filter(|p| stripe_id(p, "pi_"));
    let charge_id = match &payment_intent {
        Some(pi) => {
            find::<PaymentIntent>(&client, Some(account), &format!("/payment_intents/{pi}"))
                .await?
                .and_then(|p| p.latest_charge)
                .filter(|c| stripe_id(c, "ch_"))
        }
        None => None,
    };
    let charge = match &charge_id {
        Some(ch) => find::<Charge>(&client, Some(account), &format!("/charges/{ch}")).await?,
        None => None,
    };
    // The application fee is the platform's object: read without the header.
    let fee = match charge.as_ref().and_then(|c| c.application_fee.clone()) {
        Some(fee) if stripe_id(&fee, "fee_") => {
            find::<ApplicationFee>(&client, None, &format!("/application_fees/{fee}")).await?
        }
        _ => None,
    };
    let status = status_of(session.status.as_deref(), charge.as_ref());
    let now = Utc::now();
    let was = purchase.status.clone();
    let stored = ctx
        .run_for_platform(async |db| {
            // The first to see it paid sends the receipt: a conditional
            // update, so two reads racing (the buyer's return and Stripe's
            // event) send one.
            let first_paid = status != "open"
                && charge.is_some()
                && row::Entity::update_many()
                    .col_expr(row::Column::Status, status.into())
                    .filter(row::Column::Id.eq(purchase.id))
                    .filter(row::Column::Status.eq("open"))
                    .exec(db)
                    .await?
                    .rows_affected
                    == 1;
            let current = row::Entity::find()
                .filter(row::Column::Id.eq(purchase.id))
                .one(db)
                .await?
                .ok_or(Error::NotFound)?;
            let mut next = current.into_active_model();
            next.status = Set(status.into());
            next.payment_intent = Set(payment_intent.clone());
            next.charge = Set(charge.as_ref().map(|c| c.id.clone()));
            next.amount_refunded =
                Set(charge.as_ref().and_then(|c| c.amount_refunded).unwrap_or(0));
            next.disputed = Set(charge.as_ref().and_then(|c| c.disputed).unwrap_or(false));
            if let Some(fee) = &fee {
                next.fee = Set(fee.amount);
                next.fee_refunded = Set(fee.amount_refunded.unwrap_or(0));
            }
            next.updated_at = Set(now);
            let stored = next.update(db).await?;
            if first_paid {
                outbox::enqueue(db, ctx, receipt(ctx, &stored)).await?;
            }
            if stored.status != was {
                let detail = serde_json::json!({
                    "purchase": stored.id, "status": stored.status,
                    "amount": stored.amount, "amount_refunded": stored.amount_refunded,
                })
                .to_string();
                let action = format!("payments.purchase_{}", stored.status);
                relay::raise(db, Raised::audit(&action, "stripe", &detail)).await?;
            }
            Ok(stored)
        })
        .await?;
    // After the plane's transaction (never two connections held at once).
    ledger::record(ctx.engine(), ctx.id(), &stored).await?;
    Ok(stored)
}

/// The buyer's receipt, from the tenant (its name, colours and host; the
/// platform appears nowhere), queued with the purchase's paid state.
fn receipt(ctx: &TenantCtx, bought: &row::Model) -> compose::Letter {
    let branding = &ctx.tenant().branding;
    let origin = ctx.public_origin();
    let link = format!("{origin}/shop/purchases/{}", bought.id);
    let paragraphs = [
        format!(
            "{}: {}",
            bought.item,
            money(bought.amount, &bought.currency)
        ),
        format!(
            "Paid to {} on {}.",
            branding.display_name,
            bought.created_at.format("%Y-%m-%d")
        ),
    ];
    compose::branded(
        branding,
        &origin,
        &bought.buyer_email,
        &format!("Your receipt from {}", branding.display_name),
        &compose::Content {
            heading: "Thank you for your purchase",
            paragraphs: &paragraphs,
            action: Some(("See your purchase", &link)),
            footer: "You receive this because you made this purchase.",
        },
    )
}

/// Refunds what remains of a paid purchase, the platform's fee with it in
/// proportion (`refund_application_fee`: the platform does not keep a fee
/// on money the tenant gave back), then reads the result back.
pub async fn refund(ctx: &TenantCtx, actor: &str, id: Uuid) -> Result<row::Model> {
    ctx.ensure_active()?;
    let purchase = get(ctx, id).await?;
    let remaining = purchase.amount - purchase.amount_refunded;
    let Some(payment_intent) = purchase.payment_intent.clone() else {
        return Err(Error::invalid(
            "purchase",
            "only a paid purchase can be refunded",
        ));
    };
    if remaining <= 0 {
        return Err(Error::invalid(
            "purchase",
            "this purchase is refunded already",
        ));
    }
    let client = client(ctx.engine()).await?;
    let form = Form::default()
        .field("payment_intent", &payment_intent)
        .field("amount", remaining)
        .field("refund_application_fee", "true")
        .field("metadata[purchase_id]", id);
    // Keyed by what was refunded before: a retry is the same refund, a
    // later refund of a new remainder another.
    let key = format!("tenantry-refund-{id}-{}", purchase.amount_refunded);
    let _: Refund = post_as(&client, &purchase.account, "/refunds", &form, key).await?;
    let detail = serde_json::json!({ "purchase": id, "amount": remaining }).to_string();
    ctx.run(true, async |db| {
        relay::raise(db, Raised::audit("payments.refunded", actor, &detail)).await?;
        Ok(())
    })
    .await?;
    sync(ctx, purchase).await
}
