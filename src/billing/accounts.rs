//! Billing accounts: who pays for a tenant, whether they are up to date, and
//! their prepaid credit. Past due (a failed payment) shows a banner; past
//! the grace period the tenant is suspended through the normal lifecycle,
//! and resumed when the account is paid up again.

use crate::catalog::{audit, resolve, tenants};
use crate::entities::catalog::{billing_account, credit_grant};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, TenantId, TenantState};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
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

/// The tenant's account with the platform, opened on first use.
pub async fn of_tenant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<billing_account::Model> {
    let find = || {
        billing_account::Entity::find()
            .filter(billing_account::Column::Tenant.eq(tenant.uuid()))
            .filter(billing_account::Column::Customer.eq(PLATFORM_CUSTOMER))
    };
    if let Some(found) = find().one(conn).await? {
        return Ok(found);
    }
    let opened = billing_account::Entity::insert(billing_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant: Set(tenant.uuid()),
        customer: Set(PLATFORM_CUSTOMER.into()),
        status: Set(Standing::Active.as_str().into()),
        past_due_since: Set(None),
        status_at: Set(None),
        suspended_for_billing: Set(false),
        stripe_customer_id: Set(None),
        stripe_subscription_id: Set(None),
        updated_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(conn)
    .await;
    if let Err(e) = opened {
        tracing::debug!(error = %e, "account opened concurrently");
    }
    find().one(conn).await?.ok_or(Error::NotFound)
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
pub async fn summary(engine: &Engine, tenant: TenantId) -> Result<(Standing, i64, Option<String>)> {
    let account = of_tenant(engine.catalog(), tenant).await?;
    let credit = credit_balance(engine.catalog(), account.id).await?;
    Ok((standing(&account), credit, notice_of(engine, &account)))
}

/// What a signed-in member of a past-due tenant is told on every page.
pub async fn notice(engine: &Engine, tenant: TenantId) -> Result<Option<String>> {
    let account = billing_account::Entity::find()
        .filter(billing_account::Column::Tenant.eq(tenant.uuid()))
        .filter(billing_account::Column::Customer.eq(PLATFORM_CUSTOMER))
        .one(engine.catalog())
        .await?;
    Ok(account.and_then(|a| notice_of(engine, &a)))
}

/// The past-due notice for an account already read.
fn notice_of(engine: &Engine, account: &billing_account::Model) -> Option<String> {
    if standing(account) != Standing::PastDue {
        return None;
    }
    let since = account.past_due_since.unwrap_or(account.updated_at);
    let grace_ends = since + Duration::days(engine.settings().billing_grace_days.into());
    Some(format!(
        "Payment failed on {}. Your account is past due: settle the open invoice by {} to keep the service running.",
        since.format("%b %-d, %Y"),
        grace_ends.format("%b %-d, %Y"),
    ))
}

/// Marks the account past due (a payment failed). Idempotent: the grace
/// period runs from the first failure.
pub async fn mark_past_due(
    engine: &Engine,
    tenant: TenantId,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let account = of_tenant(engine.catalog(), tenant).await?;
    if standing(&account) == Standing::PastDue {
        return Ok(());
    }
    let mut row = account.into_active_model();
    row.status = Set(Standing::PastDue.as_str().into());
    row.past_due_since = Set(Some(at));
    row.updated_at = Set(Utc::now());
    row.update(engine.catalog()).await?;
    audit::record(engine, actor, "billing.past_due", Some(tenant), "{}").await?;
    engine.tenant_changed(tenant);
    Ok(())
}

/// The account is paid up: active again, and resumed if billing suspended it.
pub async fn mark_paid_up(engine: &Engine, tenant: TenantId, actor: &str) -> Result<()> {
    let account = of_tenant(engine.catalog(), tenant).await?;
    let resume = account.suspended_for_billing;
    if standing(&account) == Standing::Active && !resume {
        return Ok(());
    }
    let mut row = account.into_active_model();
    row.status = Set(Standing::Active.as_str().into());
    row.past_due_since = Set(None);
    row.suspended_for_billing = Set(false);
    row.updated_at = Set(Utc::now());
    row.update(engine.catalog()).await?;
    audit::record(engine, actor, "billing.paid_up", Some(tenant), "{}").await?;
    if resume {
        if let Some(record) = resolve::load_record_by_id(engine, tenant).await? {
            if record.state == TenantState::Suspended {
                tenants::resume(engine, record.slug.as_str(), actor).await?;
            }
        }
    }
    engine.tenant_changed(tenant);
    Ok(())
}

/// Suspends every tenant past due for longer than the grace period.
/// Returns how many were suspended.
pub async fn suspend_overdue(engine: &Engine, now: DateTime<Utc>) -> Result<usize> {
    let grace = Duration::days(engine.settings().billing_grace_days.into());
    let overdue = billing_account::Entity::find()
        .filter(billing_account::Column::Status.eq(Standing::PastDue.as_str()))
        .filter(billing_account::Column::SuspendedForBilling.eq(false))
        .filter(billing_account::Column::PastDueSince.lte(now - grace))
        .all(engine.catalog())
        .await?;
    let mut suspended = 0;
    for account in overdue {
        let tenant = TenantId::from_uuid(account.tenant);
        let Some(record) = resolve::load_record_by_id(engine, tenant).await? else {
            continue;
        };
        if record.state == TenantState::Active {
            tenants::suspend(engine, record.slug.as_str(), "billing").await?;
            suspended += 1;
        }
        let mut row = account.into_active_model();
        row.suspended_for_billing = Set(record.state == TenantState::Active);
        row.updated_at = Set(Utc::now());
        row.update(engine.catalog()).await?;
    }
    Ok(suspended)
}

/// Prepaid credit still available, in minor units.
pub async fn credit_balance(conn: &impl ConnectionTrait, account: Uuid) -> Result<i64> {
    Ok(credit_grant::Entity::find()
        .filter(credit_grant::Column::Account.eq(account))
        .all(conn)
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
    let account = of_tenant(engine.catalog(), tenant).await?;
    credit_grant::Entity::insert(credit_grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        account: Set(account.id),
        amount: Set(amount),
        remaining: Set(amount),
        currency: Set(currency.to_owned()),
        reason: Set(reason.to_owned()),
        created_by: Set(actor.to_owned()),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(engine.catalog())
    .await?;
    let detail = json!({ "amount": amount, "currency": currency, "reason": reason }).to_string();
    audit::record(
        engine,
        actor,
        "billing.credit_granted",
        Some(tenant),
        &detail,
    )
    .await?;
    credit_balance(engine.catalog(), account.id).await
}

/// Takes `amount` from the oldest grants first, in the caller's transaction.
pub(crate) async fn consume_credit(
    conn: &impl ConnectionTrait,
    account: Uuid,
    mut amount: i64,
) -> Result<()> {
    let grants = credit_grant::Entity::find()
        .filter(credit_grant::Column::Account.eq(account))
        .filter(credit_grant::Column::Remaining.gt(0))
        .order_by_asc(credit_grant::Column::CreatedAt)
        .all(conn)
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
        row.update(conn).await?;
    }
    Ok(())
}
