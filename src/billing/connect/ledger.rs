//! The platform's own ledger of payments on tenants' connected accounts
//! (catalog `connect_payments`, one row per charge): the volume that passed
//! and the application fee earned, net of refunds. The console reads a
//! tenant's figures per period through that tenant's records and the
//! platform's total through the platform path; neither opens a tenant's
//! plane.

use crate::billing::period::Period;
use crate::entities::catalog::connect_payment as row;
use crate::entities::tenant::purchase;
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse, TenantId};
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use serde::Serialize;

/// Volume and fees in one currency over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct Totals {
    pub currency: String,
    pub payments: i64,
    /// Charged, before refunds.
    pub volume: i64,
    pub refunded: i64,
    /// Application fees, before their refunds.
    pub fees: i64,
    pub fees_refunded: i64,
    pub disputed: i64,
}

impl Totals {
    pub fn net_volume(&self) -> i64 {
        self.volume - self.refunded
    }

    pub fn net_fees(&self) -> i64 {
        self.fees - self.fees_refunded
    }
}

/// Records (or brings up to date) the ledger row of a paid purchase;
/// nothing for one not paid yet.
pub async fn record(engine: &Engine, tenant: TenantId, bought: &purchase::Model) -> Result<()> {
    let Some(charge) = bought.charge.clone() else {
        return Ok(());
    };
    let now = Utc::now();
    engine
        .on_records(tenant, async |records| {
            let entry = records.stamp(row::ActiveModel {
                charge: Set(charge.clone()),
                account: Set(bought.account.clone()),
                currency: Set(bought.currency.clone()),
                amount: Set(bought.amount),
                amount_refunded: Set(bought.amount_refunded),
                fee: Set(bought.fee),
                fee_refunded: Set(bought.fee_refunded),
                disputed: Set(bought.disputed),
                paid_at: Set(bought.created_at),
                updated_at: Set(now),
                ..Default::default()
            });
            use row::Column as C;
            let conflict = records
                .conflict::<row::Entity>([C::Charge])
                .update_columns([
                    C::AmountRefunded,
                    C::Fee,
                    C::FeeRefunded,
                    C::Disputed,
                    C::UpdatedAt,
                ])
                .to_owned();
            row::Entity::insert(entry)
                .on_conflict(conflict)
                .exec_without_returning(records)
                .await?;
            Ok(())
        })
        .await
}

/// Sums per currency of payments made in `period`.
fn summed(select: Select<row::Entity>, period: &Period) -> Select<row::Entity> {
    use row::Column as C;
    let sum = |column: C| Func::sum(Expr::col(column)).cast_as(Alias::new("bigint"));
    let disputed = Expr::case(Expr::col(C::Disputed).eq(Expr::val(true)), 1).finally(0);
    select
        .select_only()
        .column(C::Currency)
        .column_as(
            Func::count(Expr::col(C::Charge)).cast_as(Alias::new("bigint")),
            "payments",
        )
        .column_as(sum(C::Amount), "volume")
        .column_as(sum(C::AmountRefunded), "refunded")
        .column_as(sum(C::Fee), "fees")
        .column_as(sum(C::FeeRefunded), "fees_refunded")
        .column_as(
            Func::sum(disputed).cast_as(Alias::new("bigint")),
            "disputed",
        )
        .filter(C::PaidAt.gte(period.start))
        .filter(C::PaidAt.lt(period.end))
        .group_by(C::Currency)
        .order_by_asc(C::Currency)
}

/// One tenant's totals in `period`, per currency.
pub async fn of_tenant(engine: &Engine, tenant: TenantId, period: &Period) -> Result<Vec<Totals>> {
    engine
        .on_records(tenant, async |records| {
            Ok(summed(records.find::<row::Entity>(), period)
                .into_model::<Totals>()
                .all(records)
                .await?)
        })
        .await
}

/// Every tenant's totals together in `period`, per currency.
pub async fn platform(engine: &Engine, period: &Period) -> Result<Vec<Totals>> {
    engine
        .on_platform(PlatformUse::Console, async |db| {
            Ok(summed(row::Entity::find(), period)
                .into_model::<Totals>()
                .all(db)
                .await?)
        })
        .await
}
