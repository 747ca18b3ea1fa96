//! `POST /webhooks/stripe`: Stripe's signed events, applied exactly once.
//!
//! - The `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) is checked over the
//!   raw body with HMAC-SHA256, in constant time, against each configured
//!   secret (several while one is rotated), within the tolerance window.
//! - The event id is stored under a primary key once its effect (in the
//!   tenant's plane) has committed: a redelivery finds it and changes
//!   nothing. The effect sets the standing the event says, so applying it
//!   again after a crash between the two changes nothing either.
//! - Deliveries may arrive out of order: with Stripe configured the invoice
//!   is read back and its current state decides; without, an account's
//!   standing records when the event that set it happened, and an older
//!   event does not undo it.

use super::accounts::{self, Standing};
use crate::entities::catalog::stripe_event;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::events::signature::{verify, SignatureError};
use crate::tenancy::{Engine, PlatformUse, TenantId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use secrecy::ExposeSecret;
use serde_json::Value;

pub const HEADER: &str = "stripe-signature";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Already received: nothing changed.
    Duplicate,
    /// Recorded, but older than what the account already reflects, or of a
    /// type that changes nothing here.
    Ignored,
}

/// Checks the signature against each configured secret.
pub fn authenticate(engine: &Engine, header: Option<&str>, body: &[u8], now: i64) -> Result<()> {
    let secrets = engine.settings().stripe_webhook_secret.as_ref();
    authenticate_with(engine, secrets, header, body, now)
}

/// Checks the signature against each of `secrets` (comma-separated); no
/// secrets: the endpoint does not exist.
pub(crate) fn authenticate_with(
    engine: &Engine,
    secrets: Option<&secrecy::SecretString>,
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<()> {
    let Some(secrets) = secrets else {
        return Err(Error::NotFound);
    };
    let header =
        header.ok_or_else(|| Error::invalid("stripe-signature", "the header is missing"))?;
    let tolerance = engine.settings().stripe_webhook_tolerance_secs.into();
    let mut last = SignatureError::Mismatch;
    for secret in secrets
        .expose_secret()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match verify(header, secret, body, now, tolerance) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(Error::invalid("stripe-signature", last.to_string()))
}

pub(crate) fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// The tenant an invoice event is about: by its Stripe customer (the
/// directory), or by the tenant id we put in the subscription's metadata.
async fn tenant_of(engine: &Engine, object: &Value) -> Result<Option<TenantId>> {
    if let Some(customer) = text(object, &["customer"]) {
        if let Some(tenant) = super::stripe::tenant_of_customer(engine, customer).await? {
            return Ok(Some(tenant));
        }
    }
    let tenant = text(object, &["subscription_details", "metadata", "tenant_id"])
        .or_else(|| text(object, &["metadata", "tenant_id"]))
        .and_then(|raw| uuid::Uuid::parse_str(raw).ok())
        .map(TenantId::from_uuid);
    match tenant {
        Some(id) if engine.record_by_id(id).await?.is_some() => Ok(Some(id)),
        _ => Ok(None),
    }
}

/// Whether the event was applied (or ignored) already.
pub(crate) async fn seen(engine: &Engine, id: &str) -> Result<bool> {
    let found = engine
        .on_platform(PlatformUse::Records, async |db| {
            Ok(stripe_event::Entity::find_by_id(id.to_owned())
                .one(db)
                .await?)
        })
        .await?;
    Ok(found.is_some())
}

/// Records the event as applied; false when another delivery recorded it
/// first.
pub(crate) async fn record(
    engine: &Engine,
    id: &str,
    kind: &str,
    created: DateTime<Utc>,
    account: Option<uuid::Uuid>,
) -> Result<bool> {
    let row = stripe_event::ActiveModel {
        id: Set(id.to_owned()),
        kind: Set(kind.to_owned()),
        created_at: Set(created),
        received_at: Set(Utc::now()),
        account: Set(account),
    };
    let recorded = engine
        .on_platform(PlatformUse::Records, async |db| {
            Ok(stripe_event::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?)
        })
        .await?;
    Ok(matches!(recorded, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// The standing a Stripe invoice's current state implies: paid → active;
/// open or uncollectible after a payment attempt → past due; anything else
/// (a draft, a void invoice, one not yet attempted) changes nothing.
fn standing_of(remote: &super::stripe::RemoteInvoice, said: Standing) -> Option<Standing> {
    match remote.status.as_deref() {
        Some("paid") => Some(Standing::Active),
        Some("open" | "uncollectible") if remote.attempted.unwrap_or(said == Standing::PastDue) => {
            Some(Standing::PastDue)
        }
        _ => None,
    }
}

/// A Stripe event's envelope, checked.
pub(crate) struct Envelope {
    pub id: String,
    pub kind: String,
    pub created: DateTime<Utc>,
    /// `data.object`.
    pub object: Value,
    /// The connected account a Connect event is about.
    pub account: Option<String>,
}

/// Reads a verified event body's envelope; each missing part is refused by
/// its field.
pub(crate) fn envelope(body: &[u8]) -> Result<Envelope> {
    let event: Value =
        serde_json::from_slice(body).map_err(|_| Error::invalid("body", "must be a JSON event"))?;
    let id = text(&event, &["id"]).ok_or_else(|| Error::invalid("id", "the event has no id"))?;
    let kind =
        text(&event, &["type"]).ok_or_else(|| Error::invalid("type", "the event has no type"))?;
    let created = event
        .get("created")
        .and_then(Value::as_i64)
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .ok_or_else(|| Error::invalid("created", "the event has no creation time"))?;
    Ok(Envelope {
        id: id.to_owned(),
        kind: kind.to_owned(),
        created,
        object: event
            .pointer("/data/object")
            .cloned()
            .unwrap_or(Value::Null),
        account: text(&event, &["account"]).map(str::to_owned),
    })
}

/// Applies a verified event body.
pub async fn apply(engine: &Engine, body: &[u8]) -> Result<Outcome> {
    let event = envelope(body)?;
    // The platform's application fees (Stripe Connect) are platform events.
    if event.kind.starts_with("application_fee.") {
        return super::connect::webhook::apply_fee_event(engine, &event).await;
    }
    let (id, kind, created) = (event.id.as_str(), event.kind.as_str(), event.created);
    let object = event.object;
    let said = match kind {
        "invoice.payment_failed" => Some(Standing::PastDue),
        "invoice.paid" | "invoice.payment_succeeded" => Some(Standing::Active),
        _ => None,
    };
    // With Stripe configured the invoice is read back: its state now, not
    // the event's, decides (so the order of deliveries does not matter).
    let (target, current_state) = match (said, super::stripe::client(engine).await?) {
        (Some(said), Some(client)) => match text(&object, &["id"]) {
            Some(invoice) => {
                let remote = super::stripe::invoice(&client, invoice).await?;
                (standing_of(&remote, said), true)
            }
            None => (Some(said), false),
        },
        (said, _) => (said, false),
    };
    if seen(engine, id).await? {
        return Ok(Outcome::Duplicate);
    }
    let tenant = match target {
        Some(_) => tenant_of(engine, &object).await?,
        None => None,
    };
    let ignored = |account| async move {
        Ok(match record(engine, id, kind, created, account).await? {
            true => Outcome::Ignored,
            false => Outcome::Duplicate,
        })
    };
    let (Some(target), Some(tenant)) = (target, tenant) else {
        return ignored(None).await;
    };
    let ctx = engine.ctx_for(tenant).await?;
    if target == Standing::PastDue {
        // Noted first (no second connection while the plane's is held); the
        // check finds nothing to do unless the account stays past due.
        accounts::grace_check_at(&ctx, created).await?;
    }
    let db = ctx.db().await?;
    let current = accounts::of_tenant(&db).await?;
    let account = current.id;
    if !current_state && current.status_at.is_some_and(|at| at > created) {
        db.commit().await?;
        return ignored(Some(account)).await;
    }
    let resume = target == Standing::Active && current.suspended_for_billing;
    let was = accounts::standing(&current);
    let status_at = current.status_at.map_or(created, |at| at.max(created));
    let mut row = current.into_active_model();
    row.status = Set(target.as_str().into());
    row.status_at = Set(Some(status_at));
    row.updated_at = Set(Utc::now());
    match target {
        Standing::PastDue if was != Standing::PastDue => row.past_due_since = Set(Some(created)),
        Standing::PastDue => {}
        Standing::Active => {
            row.past_due_since = Set(None);
            row.suspended_for_billing = Set(false);
        }
    }
    row.update(&db).await?;
    let action = format!("billing.{}", target.as_str());
    let detail = serde_json::json!({ "event": id }).to_string();
    relay::raise(&db, Raised::audit(&action, "stripe", &detail)).await?;
    db.commit().await?;
    // The tenant's record carries its standing (the relay refreshes it).
    relay::relay_now(&ctx).await;
    if !record(engine, id, kind, created, Some(account)).await? {
        return Ok(Outcome::Duplicate);
    }
    if resume {
        accounts::resume_if_suspended(engine, tenant, "billing").await?;
    }
    Ok(Outcome::Applied)
}
