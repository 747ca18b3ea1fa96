//! Quotas with a period (API requests per month, events per day), counted
//! durably in the tenant's plane. Passing 80 % and reaching 100 % of the
//! limit each raise a lifecycle event once per period, in the same
//! transaction as the count (relayed to the platform's log after it
//! commits). With `hard` enforcement a use that would pass the limit is refused
//! (and not counted); with `soft` it is counted and served.

use super::entitlements::Enforcement;
use super::registry::{self, EntitlementKind};
use crate::entities::tenant::quota_usage;
use crate::error::{Error, PlanRefusal, Result};
use crate::events::relay::{self, Raised};
use crate::events::EventKind;
use crate::observe::QuotaEvent;
use crate::tenancy::TenantCtx;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaState {
    pub used: i64,
    /// `None`: unlimited (nothing is counted then).
    pub limit: Option<i64>,
    pub period: String,
}

impl QuotaState {
    pub fn remaining(&self) -> Option<i64> {
        self.limit.map(|limit| Ord::max(limit - self.used, 0))
    }
}

fn period_of(key: &'static str) -> Result<super::Period> {
    match registry::find(key).map(|e| e.kind) {
        Some(EntitlementKind::Quota(period)) => Ok(period),
        _ => Err(anyhow::anyhow!("{key} is not a quota").into()),
    }
}

/// Counts `amount` uses of quota `key` for the tenant.
pub async fn consume(ctx: &TenantCtx, key: &'static str, amount: i64) -> Result<QuotaState> {
    let period = period_of(key)?.label(chrono::Utc::now());
    let effective = ctx.entitlements().await?;
    let Some(limit) = effective.values.number(key) else {
        return Ok(QuotaState {
            used: 0,
            limit: None,
            period,
        });
    };
    let this_row = || {
        quota_usage::Column::Quota
            .eq(key)
            .and(quota_usage::Column::Period.eq(period.clone()))
    };
    let txn = ctx.db().await?;
    txn.insert_new(vec![quota_usage::ActiveModel {
        quota: Set(key.to_owned()),
        period: Set(period.clone()),
        used: Set(0),
        notified: Set(0),
        ..Default::default()
    }])
    .await?;
    let mut increment = quota_usage::Entity::update_many()
        .col_expr(
            quota_usage::Column::Used,
            Expr::col(quota_usage::Column::Used).add(amount),
        )
        .filter(this_row());
    if effective.plan.quota_enforcement == Enforcement::Hard {
        increment = increment.filter(Expr::col(quota_usage::Column::Used).add(amount).lte(limit));
    }
    let counted = increment.exec(&txn).await?.rows_affected > 0;
    let row = quota_usage::Entity::find()
        .filter(this_row())
        .one(&txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("quota row vanished"))?;
    let state = QuotaState {
        used: row.used,
        limit: Some(limit),
        period: period.clone(),
    };
    let observer = ctx.engine().observer();
    if !counted {
        drop(txn);
        observer.quota(key, QuotaEvent::Refused, ctx.id().uuid());
        return Err(exhausted(key, &state));
    }
    let reached = threshold(row.used, limit);
    if reached > row.notified {
        quota_usage::Entity::update_many()
            .col_expr(quota_usage::Column::Notified, Expr::value(reached))
            .filter(this_row())
            .exec(&txn)
            .await?;
        let kind = if reached >= 100 {
            EventKind::QuotaExhausted
        } else {
            EventKind::QuotaWarning
        };
        let data = json!({ "quota": key, "used": row.used, "limit": limit, "period": period, "percent": reached });
        let event = Raised {
            kind: Some(kind),
            actor: "system",
            data,
            audit_action: None,
            audit_detail: "",
        };
        relay::raise(&txn, event).await?;
    }
    txn.commit().await?;
    if reached > row.notified {
        let event = match reached >= 100 {
            true => QuotaEvent::Exhausted,
            false => QuotaEvent::Warned,
        };
        observer.quota(key, event, ctx.id().uuid());
        relay::relay_now(ctx).await;
    }
    Ok(state)
}

/// The highest threshold (0, 80 or 100) `used` has reached.
fn threshold(used: i64, limit: i64) -> i32 {
    if used >= limit {
        100
    } else if used.saturating_mul(100) >= limit.saturating_mul(80) {
        80
    } else {
        0
    }
}

fn exhausted(key: &'static str, state: &QuotaState) -> Error {
    Error::Plan(PlanRefusal {
        code: PlanRefusal::QUOTA,
        entitlement: key,
        message: format!(
            "This organisation has used all {} of its {key} for {}. It resets next period; ask an owner to upgrade the plan to raise it.",
            state.limit.unwrap_or_default(),
            state.period
        ),
    })
}

/// How much of quota `key` the tenant used this period.
pub async fn used(ctx: &TenantCtx, key: &'static str) -> Result<i64> {
    let period = period_of(key)?.label(chrono::Utc::now());
    let row = ctx
        .run(false, async |db| {
            Ok(quota_usage::Entity::find()
                .filter(quota_usage::Column::Quota.eq(key))
                .filter(quota_usage::Column::Period.eq(period))
                .one(db)
                .await?)
        })
        .await?;
    Ok(row.map(|r| r.used).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::threshold;

    #[test]
    fn thresholds_are_80_and_100_percent() {
        assert_eq!(threshold(0, 10), 0);
        assert_eq!(threshold(7, 10), 0);
        assert_eq!(threshold(8, 10), 80);
        assert_eq!(threshold(9, 10), 80);
        assert_eq!(threshold(10, 10), 100);
        assert_eq!(threshold(12, 10), 100);
        assert_eq!(threshold(0, 0), 100);
    }
}
