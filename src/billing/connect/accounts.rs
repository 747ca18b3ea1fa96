//! The tenant's connected Stripe account: created on the owner's first
//! "connect" (a Standard account, named and coloured after the tenant's
//! branding), onboarded on Stripe through an account link whose return and
//! refresh addresses are on the tenant's own host, and mirrored from what
//! Stripe answers when the account is read back (on return from onboarding
//! and on each `account.updated`), so the order events arrive in does not
//! matter.

use super::{client, stripe_id};
use crate::billing::stripe::{find, post, Form};
use crate::entities::catalog::stripe_connected_account as directory;
use crate::entities::tenant::connected_account as row;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::tenancy::{Engine, PlatformUse, TenantCtx, TenantId};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

/// The account as Stripe describes it (only what we mirror).
#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct RemoteAccount {
    pub id: String,
    pub details_submitted: Option<bool>,
    pub charges_enabled: Option<bool>,
    pub payouts_enabled: Option<bool>,
    pub requirements: Option<Requirements>,
}

#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct Requirements {
    pub currently_due: Option<Vec<String>>,
    pub disabled_reason: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct AccountLink {
    url: String,
}

/// Where a tenant's account stands, for its pages and the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Never connected, or disconnected.
    None,
    /// Created; Stripe still needs details before it can charge.
    Onboarding,
    /// Charges enabled.
    Active,
    /// Onboarded, but Stripe disabled charges (requirements due).
    Restricted,
}

impl State {
    pub fn as_str(&self) -> &'static str {
        match self {
            State::None => "none",
            State::Onboarding => "onboarding",
            State::Active => "active",
            State::Restricted => "restricted",
        }
    }

    pub fn of(account: Option<&row::Model>) -> Self {
        match account {
            None => State::None,
            Some(a) if a.disconnected_at.is_some() => State::None,
            Some(a) if a.charges_enabled => State::Active,
            Some(a) if a.details_submitted => State::Restricted,
            Some(_) => State::Onboarding,
        }
    }
}

/// The requirements Stripe listed as due, from their stored JSON.
pub fn requirements_due(account: &row::Model) -> Vec<String> {
    serde_json::from_str(&account.requirements_due).unwrap_or_default()
}

/// The tenant's account row (connected or disconnected), if it ever had one.
pub async fn current(ctx: &TenantCtx) -> Result<Option<row::Model>> {
    ctx.run(false, async |db| Ok(row::Entity::find().one(db).await?))
        .await
}

/// The account that can take payments now: connected and not disconnected.
pub async fn connected(ctx: &TenantCtx) -> Result<row::Model> {
    match current(ctx).await? {
        Some(account) if account.disconnected_at.is_none() => Ok(account),
        _ => Err(Error::invalid(
            "account",
            "connect a Stripe account before taking payments",
        )),
    }
}

/// Connects the tenant (creating its Stripe account on the first call, or
/// after a disconnect) and answers the onboarding link to send the owner
/// to. `actor` is recorded in the tenant's audit log.
pub async fn connect(ctx: &TenantCtx, actor: &str) -> Result<String> {
    let client = client(ctx.engine()).await?;
    ctx.ensure_active()?;
    let existing = current(ctx).await?;
    let account = match &existing {
        Some(a) if a.disconnected_at.is_none() => a.account.clone(),
        _ => {
            // One account per connection: a retry after a crash finds the
            // account the first attempt created; a reconnection after a
            // disconnect is another operation, hence another key.
            let generation = existing
                .as_ref()
                .and_then(|a| a.disconnected_at)
                .map_or(0, |at| at.timestamp_millis());
            let created = create_account(ctx, &client, generation).await?;
            note_in_directory(ctx.engine(), ctx.id(), &created.id).await?;
            store(ctx, &created, Some(actor)).await?;
            created.id
        }
    };
    onboarding_link(ctx, &client, &account).await
}

async fn create_account(
    ctx: &TenantCtx,
    client: &stripe::Client,
    generation: i64,
) -> Result<RemoteAccount> {
    let tenant = ctx.tenant();
    let branding = &tenant.branding;
    let form = Form::default()
        .field("type", "standard")
        .field("business_profile[name]", &branding.display_name)
        .field("business_profile[url]", ctx.public_origin())
        .field("settings[branding][primary_color]", &branding.primary_color)
        .field(
            "settings[branding][secondary_color]",
            &branding.accent_color,
        )
        .field("metadata[tenant_id]", tenant.id)
        .field("metadata[tenant_slug]", &tenant.slug);
    let key = format!("tenantry-connect-{}-{generation}", tenant.id);
    post(client, "/accounts", &form, key).await
}

/// An onboarding link on Stripe, returning to the tenant's own payments page.
async fn onboarding_link(
    ctx: &TenantCtx,
    client: &stripe::Client,
    account: &str,
) -> Result<String> {
    let page = format!("{}/admin/payments", ctx.public_origin());
    let form = Form::default()
        .field("account", account)
        .field("type", "account_onboarding")
        .field("refresh_url", format!("{page}?onboarding=expired"))
        .field("return_url", format!("{page}?onboarding=returned"));
    // A link is single use: each request for one is its own operation.
    let key = format!("tenantry-account-link-{account}-{}", uuid::Uuid::new_v4());
    let link: AccountLink = post(client, "/account_links", &form, key).await?;
    Ok(link.url)
}

/// The directory entry first, so that Stripe's events about the account find
/// the tenant as soon as the account exists.
async fn note_in_directory(engine: &Engine, tenant: TenantId, account: &str) -> Result<()> {
    engine
        .on_records(tenant, async |records| {
            let entry = records.stamp(directory::ActiveModel {
                account: Set(account.to_owned()),
                created_at: Set(Utc::now()),
                ..Default::default()
            });
            directory::Entity::insert(entry)
                .on_conflict_do_nothing()
                .exec_without_returning(records)
                .await?;
            Ok(())
        })
        .await
}

/// The tenant owning a connected account, from the directory.
pub async fn tenant_of(engine: &Engine, account: &str) -> Result<Option<TenantId>> {
    let found = engine
        .on_platform(PlatformUse::Directory, async |db| {
            Ok(directory::Entity::find_by_id(account.to_owned())
                .one(db)
                .await?)
        })
        .await?;
    Ok(found.map(|entry| TenantId::from_uuid(entry.tenant)))
}

/// Writes Stripe's description of the account into the tenant's row (a new
/// connection when `connected_by` is given), audited when its state changes.
async fn store(ctx: &TenantCtx, remote: &RemoteAccount, connected_by: Option<&str>) -> Result<()> {
    let requirements = remote.requirements.as_ref();
    let due = requirements
        .and_then(|r| r.currently_due.clone())
        .unwrap_or_default();
    let now = Utc::now();
    ctx.run_for_platform(async |db| {
        let before = row::Entity::find().one(db).await?;
        let was = State::of(before.as_ref());
        let mirror = |mut next: row::ActiveModel| {
            next.account = Set(remote.id.clone());
            next.details_submitted = Set(remote.details_submitted.unwrap_or(false));
            next.charges_enabled = Set(remote.charges_enabled.unwrap_or(false));
            next.payouts_enabled = Set(remote.payouts_enabled.unwrap_or(false));
            next.requirements_due =
                Set(serde_json::to_string(&due).unwrap_or_else(|_| "[]".into()));
            next.disabled_reason = Set(requirements.and_then(|r| r.disabled_reason.clone()));
            next.updated_at = Set(now);
            next
        };
        let stored = match (before, connected_by) {
            (Some(old), Some(_)) => {
                // A reconnection: the new account replaces the old one.
                let mut next = mirror(old.into_active_model());
                next.connected_at = Set(now);
                next.disconnected_at = Set(None);
                next.update(db).await?
            }
            (Some(old), None) if old.account == remote.id && old.disconnected_at.is_none() => {
                mirror(old.into_active_model()).update(db).await?
            }
            // About an account the tenant no longer uses: nothing to mirror.
            (Some(old), None) => old,
            (None, Some(_)) => {
                let mut next = mirror(<row::ActiveModel as Default>::default());
                next.connected_at = Set(now);
                next.disconnected_at = Set(None);
                db.insert(next).await?
            }
            (None, None) => return Ok(()),
        };
        let is = State::of(Some(&stored));
        if is != was || connected_by.is_some() {
            let detail = serde_json::json!({
                "account": stored.account,
                "state": is.as_str(),
                "requirements_due": due,
            })
            .to_string();
            let actor = connected_by.unwrap_or("stripe");
            let action = match connected_by {
                Some(_) => "payments.connected",
                None => "payments.account_updated",
            };
            relay::raise(db, Raised::audit(action, actor, &detail)).await?;
        }
        Ok(())
    })
    .await
}

/// Reads the tenant's connected account back from Stripe and mirrors it
/// (on return from onboarding, and for every `account.updated`). An
/// account Stripe no longer lets us use is disconnected.
pub async fn refresh(ctx: &TenantCtx) -> Result<Option<row::Model>> {
    let Some(account) = current(ctx).await? else {
        return Ok(None);
    };
    if account.disconnected_at.is_some() {
        return Ok(Some(account));
    }
    let client = client(ctx.engine()).await?;
    if !stripe_id(&account.account, "acct_") {
        return Err(Error::Unexpected(anyhow::anyhow!(
            "stored account id is malformed"
        )));
    }
    let path = format!("/accounts/{}", account.account);
    match find::<RemoteAccount>(&client, None, &path).await? {
        Some(remote) => store(ctx, &remote, None).await?,
        // Deleted, or the tenant deauthorized the platform on Stripe.
        None => disconnect_row(ctx, &account.account, "stripe").await?,
    }
    current(ctx).await
}

/// Ends the platform's use of the tenant's account: no new checkouts. The
/// Stripe account itself stays the tenant's (a Standard account belongs to
/// the business), and its events about earlier payments still arrive.
pub async fn disconnect(ctx: &TenantCtx, actor: &str) -> Result<()> {
    let account = connected(ctx).await?;
    disconnect_row(ctx, &account.account, actor).await
}

/// Marks `account` disconnected if it is still the tenant's current one
/// (also on Stripe's `account.application.deauthorized`).
pub(crate) async fn disconnect_row(ctx: &TenantCtx, account: &str, actor: &str) -> Result<()> {
    ctx.run_for_platform(async |db| {
        let Some(found) = row::Entity::find().one(db).await? else {
            return Ok(());
        };
        if found.account != account || found.disconnected_at.is_some() {
            return Ok(());
        }
        let mut next = found.into_active_model();
        next.disconnected_at = Set(Some(Utc::now()));
        next.charges_enabled = Set(false);
        next.updated_at = Set(Utc::now());
        next.update(db).await?;
        let detail = serde_json::json!({ "account": account }).to_string();
        relay::raise(db, Raised::audit("payments.disconnected", actor, &detail)).await?;
        Ok(())
    })
    .await
}
