//! What a tenant sells to its own customers: a name, a short description and
//! a price. Admins add and archive offers; members see the active ones on
//! the tenant's shop page. An archived offer stays for the purchases that
//! name it.

use crate::entities::tenant::offer as row;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::tenancy::TenantCtx;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

/// Currencies offers may be priced in: those with two decimal places, so
/// that `12.50` is 1250 minor units.
pub const CURRENCIES: &[&str] = &[
    "eur", "usd", "gbp", "chf", "cad", "aud", "sek", "nok", "dkk",
];

/// Stripe's smallest charge in these currencies is about 0.50.
const MIN_AMOUNT: i64 = 50;
const MAX_AMOUNT: i64 = 99_999_999;

/// An offer as an admin enters it.
#[derive(Debug, Clone, Default)]
pub struct NewOffer {
    pub name: String,
    pub description: String,
    /// A decimal amount (`12.50`).
    pub price: String,
    pub currency: String,
}

/// `12.50` → 1250; the field's error names what is wrong.
pub fn parse_price(raw: &str) -> Result<i64> {
    let raw = raw.trim();
    let bad = || Error::invalid("price", "must be an amount like 12 or 12.50");
    let (units, cents) = match raw.split_once('.') {
        Some((u, c)) if c.len() == 1 => (u, format!("{c}0")),
        Some((u, c)) if c.len() == 2 => (u, c.to_owned()),
        Some(_) => return Err(bad()),
        None => (raw, "00".to_owned()),
    };
    if units.is_empty()
        || !units
            .chars()
            .chain(cents.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let amount = units
        .parse::<i64>()
        .ok()
        .and_then(|u| u.checked_mul(100))
        .and_then(|u| u.checked_add(cents.parse::<i64>().ok()?))
        .ok_or_else(bad)?;
    if !(MIN_AMOUNT..=MAX_AMOUNT).contains(&amount) {
        return Err(Error::invalid(
            "price",
            "must be between 0.50 and 999,999.99",
        ));
    }
    Ok(amount)
}

fn parse(input: &NewOffer) -> Result<row::ActiveModel> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(Error::invalid("name", "must be 1 to 120 characters"));
    }
    let description = input.description.trim();
    if description.chars().count() > 500 {
        return Err(Error::invalid(
            "description",
            "must be at most 500 characters",
        ));
    }
    let amount = parse_price(&input.price)?;
    let currency = input.currency.trim().to_ascii_lowercase();
    if !CURRENCIES.contains(&currency.as_str()) {
        return Err(Error::invalid(
            "currency",
            format!("must be one of {}", CURRENCIES.join(", ")),
        ));
    }
    Ok(row::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        description: Set(description.to_owned()),
        amount: Set(amount),
        currency: Set(currency),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
}

/// Adds an offer (checked in full before anything is written).
pub async fn create(ctx: &TenantCtx, actor: &str, input: &NewOffer) -> Result<row::Model> {
    let fresh = parse(input)?;
    ctx.run(true, async |db| {
        let offer = db.insert(fresh).await?;
        let detail = serde_json::json!({
            "offer": offer.id, "name": offer.name,
            "amount": offer.amount, "currency": offer.currency,
        })
        .to_string();
        relay::raise(db, Raised::audit("payments.offer_added", actor, &detail)).await?;
        Ok(offer)
    })
    .await
}

/// Every offer, newest first (`active_only` for the shop).
pub async fn list(ctx: &TenantCtx, active_only: bool) -> Result<Vec<row::Model>> {
    ctx.run(false, async |db| {
        let mut select = row::Entity::find().order_by_desc(row::Column::CreatedAt);
        if active_only {
            select = select.filter(row::Column::Active.eq(true));
        }
        Ok(select.all(db).await?)
    })
    .await
}

/// Takes an offer off the shop; its purchases keep it.
pub async fn archive(ctx: &TenantCtx, actor: &str, id: Uuid) -> Result<()> {
    ctx.run(true, async |db| {
        let offer = row::Entity::find()
            .filter(row::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(Error::NotFound)?;
        let mut next = offer.into_active_model();
        next.active = Set(false);
        next.update(db).await?;
        let detail = serde_json::json!({ "offer": id }).to_string();
        relay::raise(db, Raised::audit("payments.offer_archived", actor, &detail)).await?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::parse_price;

    #[test]
    fn prices_are_read_to_the_cent_and_refused_by_field() {
        assert_eq!(parse_price("12").expect("12"), 1200);
        assert_eq!(parse_price("12.5").expect("12.5"), 1250);
        assert_eq!(parse_price(" 0.50 ").expect("0.50"), 50);
        for bad in ["", "12.345", "-3", "1e3", "0.49", "12,50", "1000000"] {
            let err = parse_price(bad).expect_err("refused").to_string();
            assert!(err.starts_with("price:"), "{bad:?}: {err}");
        }
    }
}
