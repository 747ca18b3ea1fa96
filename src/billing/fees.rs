//! Revenue this period that the directory knows without opening a tenant:
//! the flat fees of the active tenants' plans, for the console's overview.
//! Seats and usage are rated per tenant when its period closes.

use crate::entities::catalog::tenant;
use crate::error::Result;
use crate::plans::prices::Charge;
use crate::tenancy::{Engine, TenantState};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeMap;

/// The flat fees of the active tenants' plans this period, per currency
/// (minor units), counted by plan in one grouped read of the directory.
pub async fn flat_fees_of_active(engine: &Engine) -> Result<Vec<(String, i64)>> {
    let active: Vec<(String, i64)> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Plan)
        .column_as(Expr::col(tenant::Column::Id).count(), "n")
        .filter(tenant::Column::State.eq(TenantState::Active.as_str()))
        .group_by(tenant::Column::Plan)
        .into_tuple()
        .all(engine.platform_tables())
        .await?;
    let policy = engine.policy().await?;
    let mut fees: BTreeMap<String, i64> = BTreeMap::new();
    for (key, n) in active {
        for price in policy
            .plan(&key)
            .map(|p| p.prices.as_slice())
            .unwrap_or_default()
        {
            if let Charge::Flat { amount } = price.charge {
                *fees.entry(price.currency.clone()).or_default() += amount.saturating_mul(n);
            }
        }
    }
    Ok(fees.into_iter().collect())
}
