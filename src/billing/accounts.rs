//! Billing accounts: who pays for a tenant, whether they are up to date, and
//! their prepaid credit. Past due (a failed payment) shows a banner; past
//! the grace period the tenant is suspended through the normal lifecycle,
//! and resumed when the account is paid up again.

use crate::catalog::tenants;
use crate::entities::tenant::{billing_account, credit_grant};
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{Engine, TenantCtx, TenantDb, TenantId, TenantRecord, TenantState};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The platform billing the tenant itself.
pub const PLATFORM_CUSTOMER: &str = "tenant";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Active,
    PastDue,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::PastDue => "past_due",
        }
    }
}

/// The tenant's account with the platform, opened on first use, in its own
/// transaction of the tenant's plane.
pub async fn account_of(engine: &Engine, tenant: TenantId) -> Result<billing_account::Model> {
    let ctx = engine.ctx_for(tenant).await?;
    ctx.run_for_platform(async |db| of_tenant(db).await).await
}

/// The tenant's account with the platform, opened on first use.
pub async fn of_tenant(db: &TenantDb) -> Result<billing_account::Model> {
    if let Some(found) = platform_account(db).await? {
        return Ok(found);
    }
    // A tenant from before accounts were opened at creation (two openings
    // meet in ON CONFLICT DO NOTHING).
    db.insert_new(vec![new_account()]).await?;
    platform_account(db).await?.ok_or(Error::NotFound)
}

/// A new tenant's account with the platform (opened with the tenant, in the
/// transaction creating its first owner).
pub(crate) fn new_account() -> billing_account::ActiveModel {
    billing_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer: Set(PLATFORM_CUSTOMER.into()),
        status: Set(Standing::Active.as_str().into()),
        past_due_since: Set(None),
        status_at: Set(None),
        suspended_for_billing: Set(false),
        stripe_customer_id: Set(None),
        stripe_subscription_id: Set(None),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}

/// The tenant's account with the platform, if it has one yet.
pub(crate) async fn platform_account(db: &TenantDb) -> Result<Option<billing_account::Model>> {
    Ok(billing_account::Entity::find()
        .filter(billing_account::Column::Customer.eq(PLATFORM_CUSTOMER))
        .one(db)
        .await?)
}

/// Since when the account has been past due, if it is: what the tenant's
/// record carries (see [`notice`]).
pub(crate) fn past_due_since(account: &billing_account::Model) -> Option<DateTime<Utc>> {
    (standing(account) == Standing::PastDue)
        .then(|| account.past_due_since.unwrap_or(account.updated_at))
}

pub fn standing(account: &billing_account::Model) -> Standing {
    if account.status == Standing::PastDue.as_str() {
        Standing::PastDue
    } else {
        Standing::Active
    }
}

/// The account's standing, prepaid credit and past-due notice, as pages
/// show them (one read of the account).
pub async fn summary(ctx: &TenantCtx) -> Result<(Standing, i64, Option<String>)> {
    let (account, credit) = ctx
        .run_for_platform(async |db| {
            let account = of_tenant(db).await?;
            let credit = credit_balance(db, account.id).await?;
            Ok((account, credit))
        })
        .await?;
    let notice = past_due_since(&account).map(|since| notice_since(ctx.engine(), since));
    Ok((standing(&account), credit, notice))
}

/// What a signed-in member of a past-due tenant is told on every page: read
/// from the tenant's record, which carries its account's standing (and is
/// refreshed whenever the account changes), so pages pay no query for it.
pub fn notice(engine: &Engine, tenant: &TenantRecord) -> Option<String> {
    tenant
        .past_due_since
        .map(|since| notice_since(engine, since))
}

fn notice_since(engine: &Engine, since: DateTime<Utc>) -> String {
    let grace_ends = since + Duration::days(engine.settings().billing_grace_days.into());
    format!(
        "Payment failed on {}. Your account is past due: settle the open invoice by {} to keep the service running.",
        since.format("%b %-d, %Y"),
        grace_ends.format("%b %-d, %Y"),
    )
}

/// Marks the account past due (a payment failed). Idempotent: the grace
/// period runs from the first failure.
pub async fn mark_past_due(
    engine: &Engine,
    tenant: TenantId,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let ctx = engine.ctx_for(tenant).await?;
    // Noted first (no second connection while the plane's is held); the
    // check finds nothing to do if the account is not past due after all.
    grace_check_at(&ctx, at).await?;
    let db = ctx.db().await?;
    let account = of_tenant(&db).await?;
    if standing(&account) == Standing::PastDue {
        return Ok(db.commit().await?);
    }
    let mut row = account.into_active_model();
    row.status = Set(Standing::PastDue.as_str().into());
    row.past_due_since = Set(Some(at));
    row.updated_at = Set(Utc::now());
    row.update(&db).await?;
    relay::raise(&db, Raised::audit("billing.past_due", actor, "{}")).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    Ok(())
}

/// Notes the tenant for the grace-period check due when a grace period
/// from `since` ends.
pub(crate) async fn grace_check_at(ctx: &TenantCtx, since: DateTime<Utc>) -> Result<()> {
    let engine = ctx.engine();
    let grace = Duration::days(engine.settings().billing_grace_days.into());
    directory::work_due_at(engine, Queue::Billing, ctx.id(), since + grace).await
}

/// The account is paid up: active again, and resumed if billing suspended it.
pub async fn mark_paid_up(engine: &Engine, tenant: TenantId, actor: &str) -> Result<()> {
    let ctx = engine.ctx_for(tenant).await?;
    let db = ctx.db().await?;
    let account = of_tenant(&db).await?;
    let resume = account.suspended_for_billing;
    if standing(&account) == Standing::Active && !resume {
        return Ok(db.commit().await?);
    }
    let mut row = account.into_active_model();
    row.status = Set(Standing::Active.as_str().into());
    row.past_due_since = Set(None);
    row.suspended_for_billing = Set(false);
    row.updated_at = Set(Utc::now());
    row.update(&db).await?;
    relay::raise(&db, Raised::audit("billing.paid_up", actor, "{}")).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    if resume {
        resume_if_suspended(engine, tenant, actor).await?;
    }
    Ok(())
}

/// Resumes the tenant if it is suspended (billing suspended it and the
/// account is paid up).
pub(crate) async fn resume_if_suspended(
    engine: &Engine,
    tenant: TenantId,
    actor: &str,
) -> Result<()> {
    if let Some(record) = engine.record_by_id(tenant).await? {
        if record.state == TenantState::Suspended {
            tenants::resume(engine, record.slug.as_str(), actor).await?;
        }
    }
    engine.tenant_changed(tenant);
    Ok(())
}

/// Suspends every tenant past due for longer than the grace period by
/// `now` (the tenants the directory notes for it). Returns how many were
/// suspended.
pub async fn suspend_overdue(engine: &Engine, now: DateTime<Utc>) -> Result<usize> {
    directory::visit_due_by(engine, Queue::Billing, now, 200, |ctx| async move {
        suspend_if_overdue(&ctx, now).await
    })
    .await
}

/// One tenant's grace-period check: suspended if its account is still past
/// due beyond the grace period; otherwise when to look again, if ever.
async fn suspend_if_overdue(
    ctx: &TenantCtx,
    now: DateTime<Utc>,
) -> Result<(usize, directory::NextDue)> {
    let engine = ctx.engine();
    let grace = Duration::days(engine.settings().billing_grace_days.into());
    let account = ctx.run_for_platform(async |db| of_tenant(db).await).await?;
    let Some(since) = past_due_since(&account).filter(|_| !account.suspended_for_billing) else {
        return Ok((0, None));
    };
    if since + grace > now {
        return Ok((0, Some(since + grace)));
    }
    let active = ctx.tenant().state == TenantState::Active;
    if active {
        tenants::suspend(engine, ctx.tenant().slug.as_str(), "billing").await?;
    }
    let mut row = account.into_active_model();
    row.suspended_for_billing = Set(active);
    row.updated_at = Set(Utc::now());
    ctx.run_for_platform(async |db| Ok(row.update(db).await.map(|_| ())?))
        .await?;
    Ok((usize::from(active), None))
}

/// Prepaid credit still available, in minor units.
pub async fn credit_balance(db: &TenantDb, account: Uuid) -> Result<i64> {
    Ok(credit_grant::Entity::find()
        .filter(credit_grant::Column::Account.eq(account))
        .all(db)
        .await?
        .iter()
        .map(|g| g.remaining)
        .sum())
}

/// Grants prepaid credit (a superadmin's decision, audited).
pub async fn grant_credit(
    engine: &Engine,
    tenant: TenantId,
    raw_amount: &str,
    currency: &str,
    reason: &str,
    actor: &str,
) -> Result<i64> {
    let amount: i64 = raw_amount
        .trim()
        .parse()
        .ok()
        .filter(|a| (1..=1_000_000_000_000).contains(a))
        .ok_or_else(|| {
            Error::invalid(
                "amount",
                "a whole number of minor units (cents), at least 1",
            )
        })?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(Error::invalid(
            "reason",
            "is required (at most 200 characters)",
        ));
    }
    let ctx = engine.ctx_for(tenant).await?;
    let db = ctx.db().await?;
    let account = of_tenant(&db).await?;
    db.insert(credit_grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        account: Set(account.id),
        amount: Set(amount),
        remaining: Set(amount),
        currency: Set(currency.to_owned()),
        reason: Set(reason.to_owned()),
        created_by: Set(actor.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .await?;
    let detail = json!({ "amount": amount, "currency": currency, "reason": reason }).to_string();
    relay::raise(&db, Raised::audit("billing.credit_granted", actor, &detail)).await?;
    let balance = credit_balance(&db, account.id).await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    Ok(balance)
}

/// Takes `amount` from the oldest grants first, in the caller's transaction.
pub(crate) async fn consume_credit(db: &TenantDb, account: Uuid, mut amount: i64) -> Result<()> {
    let grants = credit_grant::Entity::find()
        .filter(credit_grant::Column::Account.eq(account))
        .filter(credit_grant::Column::Remaining.gt(0))
        .order_by_asc(credit_grant::Column::CreatedAt)
        .all(db)
        .await?;
    for grant in grants {
        if amount <= 0 {
            break;
        }
        let take = grant.remaining.min(amount);
        amount -= take;
        let left = grant.remaining - take;
        let mut row = grant.into_active_model();
        row.remaining = Set(left);
        row.update(db).await?;
    }
    Ok(())
}
