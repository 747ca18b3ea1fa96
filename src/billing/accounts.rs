//! Billing accounts: who pays for a tenant, whether they are up to date, and
//! their prepaid credit. Past due (a failed payment) shows a banner; past
//! the grace period the tenant is suspended through the normal lifecycle,
//! and resumed when the account is paid up again.

use crate::catalog::{audit, resolve, tenants};
use crate::entities::catalog::{billing_account, credit_grant};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, PlatformUse, TenantId, TenantRecord, TenantRecords, TenantState};
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
/// transaction.
pub async fn account_of(engine: &Engine, tenant: TenantId) -> Result<billing_account::Model> {
    engine
        .on_records(tenant, async |records| of_tenant(records).await)
        .await
}

/// The tenant's account with the platform, opened on first use.
pub async fn of_tenant(records: &TenantRecords) -> Result<billing_account::Model> {
    if let Some(found) = platform_account(records).await? {
        return Ok(found);
    }
    // A tenant from before accounts were opened at creation. A failed
    // insert aborts the transaction: it is an error, not a race (two
    // openings meet in ON CONFLICT DO NOTHING).
    billing_account::Entity::insert(records.stamp(new_account()))
        .on_conflict_do_nothing()
        .exec_without_returning(records)
        .await?;
    platform_account(records).await?.ok_or(Error::NotFound)
}

/// A new tenant's account with the platform (opened with the tenant, in the
/// transaction creating it), to be stamped with its tenant.
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
pub(crate) async fn platform_account(
    records: &TenantRecords,
) -> Result<Option<billing_account::Model>> {
    Ok(records
        .find::<billing_account::Entity>()
        .filter(billing_account::Column::Customer.eq(PLATFORM_CUSTOMER))
        .one(records)
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
pub async fn summary(engine: &Engine, tenant: TenantId) -> Result<(Standing, i64, Option<String>)> {
    let (account, credit) = engine
        .on_records(tenant, async |records| {
            let account = of_tenant(records).await?;
            let credit = credit_balance(records, account.id).await?;
            Ok((account, credit))
        })
        .await?;
    let notice = past_due_since(&account).map(|since| notice_since(engine, since));
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
    let records = engine.records_of(tenant).await?;
    let account = of_tenant(&records).await?;
    if standing(&account) == Standing::PastDue {
        return records.commit().await;
    }
    let mut row = account.into_active_model();
    row.status = Set(Standing::PastDue.as_str().into());
    row.past_due_since = Set(Some(at));
    row.updated_at = Set(Utc::now());
    row.update(&records).await?;
    audit::record_in(&records, actor, "billing.past_due", Some(tenant), "{}").await?;
    records.commit().await?;
    engine.tenant_changed(tenant);
    Ok(())
}

/// The account is paid up: active again, and resumed if billing suspended it.
pub async fn mark_paid_up(engine: &Engine, tenant: TenantId, actor: &str) -> Result<()> {
    let records = engine.records_of(tenant).await?;
    let account = of_tenant(&records).await?;
    let resume = account.suspended_for_billing;
    if standing(&account) == Standing::Active && !resume {
        return records.commit().await;
    }
    let mut row = account.into_active_model();
    row.status = Set(Standing::Active.as_str().into());
    row.past_due_since = Set(None);
    row.suspended_for_billing = Set(false);
    row.updated_at = Set(Utc::now());
    row.update(&records).await?;
    audit::record_in(&records, actor, "billing.paid_up", Some(tenant), "{}").await?;
    records.commit().await?;
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
    let overdue = engine
        .on_platform(PlatformUse::Maintenance("billing"), async |db| {
            Ok(billing_account::Entity::find()
                .filter(billing_account::Column::Status.eq(Standing::PastDue.as_str()))
                .filter(billing_account::Column::SuspendedForBilling.eq(false))
                .filter(billing_account::Column::PastDueSince.lte(now - grace))
                .all(db)
                .await?)
        })
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
        engine
            .on_records(tenant, async |records| {
                row.update(records).await?;
                Ok(())
            })
            .await?;
    }
    Ok(suspended)
}

/// Prepaid credit still available, in minor units.
pub async fn credit_balance(records: &TenantRecords, account: Uuid) -> Result<i64> {
    Ok(records
        .find::<credit_grant::Entity>()
        .filter(credit_grant::Column::Account.eq(account))
        .all(records)
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
    let records = engine.records_of(tenant).await?;
    let account = of_tenant(&records).await?;
    credit_grant::Entity::insert(records.stamp(credit_grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        account: Set(account.id),
        amount: Set(amount),
        remaining: Set(amount),
        currency: Set(currency.to_owned()),
        reason: Set(reason.to_owned()),
        created_by: Set(actor.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }))
    .exec_without_returning(&records)
    .await?;
    let detail = json!({ "amount": amount, "currency": currency, "reason": reason }).to_string();
    audit::record_in(
        &records,
        actor,
        "billing.credit_granted",
        Some(tenant),
        &detail,
    )
    .await?;
    let balance = credit_balance(&records, account.id).await?;
    records.commit().await?;
    Ok(balance)
}

/// Takes `amount` from the oldest grants first, in the caller's transaction.
pub(crate) async fn consume_credit(
    records: &TenantRecords,
    account: Uuid,
    mut amount: i64,
) -> Result<()> {
    let grants = records
        .find::<credit_grant::Entity>()
        .filter(credit_grant::Column::Account.eq(account))
        .filter(credit_grant::Column::Remaining.gt(0))
        .order_by_asc(credit_grant::Column::CreatedAt)
        .all(records)
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
        row.update(records).await?;
    }
    Ok(())
}
