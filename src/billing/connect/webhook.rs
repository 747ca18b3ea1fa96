//! `POST /webhooks/stripe/connect`: events from tenants' connected accounts.
//!
//! - Signed with the Connect endpoint's own secret
//!   (`stripe_connect_webhook_secret`), checked like the platform's.
//! - Routed by the event's `account` through the directory to the one
//!   tenant owning that account; an account no tenant owns changes nothing.
//!   Inside that tenant only its own purchases *on that account* are
//!   candidates, so an event naming tenant B's account cannot touch tenant
//!   A, and one naming A's account cannot reach B's purchases.
//! - Applied once: the event id is recorded after its effect, and the
//!   effect is a read-back of the objects from Stripe (as that account), so
//!   a redelivery, a reordering or a crash between the two finds the same
//!   state.

use super::{accounts, purchases, stripe_id};
use crate::billing::stripe_webhook::{record, seen, text, Envelope, Outcome};
use crate::error::{Error, Result};
use crate::tenancy::Engine;
use serde_json::Value;

/// Checks the Connect endpoint's signature.
pub fn authenticate(engine: &Engine, header: Option<&str>, body: &[u8], now: i64) -> Result<()> {
    let secrets = engine.settings().stripe_connect_webhook_secret.as_ref();
    crate::billing::stripe_webhook::authenticate_with(engine, secrets, header, body, now)
}

/// Applies a verified Connect event body.
pub async fn apply(engine: &Engine, body: &[u8]) -> Result<Outcome> {
    let event = crate::billing::stripe_webhook::envelope(body)?;
    let account = event
        .account
        .clone()
        .filter(|a| stripe_id(a, "acct_"))
        .ok_or_else(|| Error::invalid("account", "a Connect event names its account"))?;
    if seen(engine, &event.id).await? {
        return Ok(Outcome::Duplicate);
    }
    let applied = match accounts::tenant_of(engine, &account).await? {
        Some(tenant) => {
            let ctx = engine.ctx_for(tenant).await?;
            about_account(&ctx, &event, &account).await?
        }
        None => false,
    };
    done(engine, &event, applied).await
}

/// Records the event; `Duplicate` when another delivery recorded it first.
async fn done(engine: &Engine, event: &Envelope, applied: bool) -> Result<Outcome> {
    let first = record(engine, &event.id, &event.kind, event.created, None).await?;
    Ok(match (first, applied) {
        (false, _) => Outcome::Duplicate,
        (true, true) => Outcome::Applied,
        (true, false) => Outcome::Ignored,
    })
}

/// The event's effect in the tenant owning `account`; false when it is
/// about nothing we mirror.
async fn about_account(
    ctx: &crate::tenancy::TenantCtx,
    event: &Envelope,
    account: &str,
) -> Result<bool> {
    let kind = event.kind.as_str();
    if kind == "account.application.deauthorized" {
        accounts::disconnect_row(ctx, account, "stripe").await?;
        return Ok(true);
    }
    if kind.starts_with("account.") {
        let current = accounts::current(ctx).await?;
        if current.is_some_and(|a| a.account == account) {
            accounts::refresh(ctx).await?;
            return Ok(true);
        }
        return Ok(false);
    }
    let about_payment = ["checkout.session.", "payment_intent.", "charge.", "refund."]
        .iter()
        .any(|prefix| kind.starts_with(prefix));
    if !about_payment {
        return Ok(false);
    }
    let object = &event.object;
    let purchase_id = text(object, &["metadata", "purchase_id"])
        .or_else(|| text(object, &["client_reference_id"]))
        .and_then(|raw| uuid::Uuid::parse_str(raw).ok());
    let ids = object_ids(object);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    sync_matching(ctx, account, purchase_id, &ids).await
}

/// Reads back the tenant's purchase on `account` that these ids name;
/// false when there is none.
async fn sync_matching(
    ctx: &crate::tenancy::TenantCtx,
    account: &str,
    purchase_id: Option<uuid::Uuid>,
    ids: &[&str],
) -> Result<bool> {
    match purchases::find_for(ctx, account, purchase_id, ids).await? {
        Some(purchase) => {
            purchases::sync(ctx, purchase).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The Stripe ids an object names that a purchase may hold: its own id, and
/// its session, payment intent and charge.
fn object_ids(object: &Value) -> Vec<String> {
    ["id", "payment_intent", "charge", "latest_charge"]
        .iter()
        .filter_map(|key| text(object, &[key]))
        .filter(|id| {
            ["cs_", "pi_", "ch_", "py_"]
                .iter()
                .any(|prefix| stripe_id(id, prefix))
        })
        .map(str::to_owned)
        .collect()
}

/// `application_fee.*` (a platform event: the fee is the platform's): the
/// purchase it was taken on, read back in the tenant owning the fee's
/// account.
pub(crate) async fn apply_fee_event(engine: &Engine, event: &Envelope) -> Result<Outcome> {
    if seen(engine, &event.id).await? {
        return Ok(Outcome::Duplicate);
    }
    let account = text(&event.object, &["account"])
        .filter(|a| stripe_id(a, "acct_"))
        .map(str::to_owned);
    let charge = text(&event.object, &["charge"])
        .filter(|c| stripe_id(c, "ch_") || stripe_id(c, "py_"))
        .map(str::to_owned);
    let mut applied = false;
    if let (Some(account), Some(charge)) = (account, charge) {
        if let Some(tenant) = accounts::tenant_of(engine, &account).await? {
            let ctx = engine.ctx_for(tenant).await?;
            applied = sync_matching(&ctx, &account, None, &[&charge]).await?;
        }
    }
    done(engine, event, applied).await
}
