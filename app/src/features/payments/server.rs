//! Payments, server side: each function checks who calls, then one call
//! into `tenantry::billing::connect`.

use crate::backend::{admin, engine, fail, member_as, paged, parse_id, timestamp};
use crate::dto::PageDto;
use crate::error::AppError;
use crate::features::billing::api::money;
use crate::features::payments::api::{
    AccountDto, ConsolePaymentsDto, OfferDto, PaymentsDto, PurchaseDto, ShopDto, TotalsDto,
};
use tenantry::billing::connect::{accounts, fees, ledger, offers, purchases};
use tenantry::billing::period::Period;
use tenantry::entities::search::Place;
use tenantry::entities::tenant::{connected_account, offer, purchase};
use tenantry::error::Error;
use tenantry::identity::Role;
use tenantry::tenancy::{Slug, TenantState};
use tenantry_vocab::Need;

fn account_dto(account: Option<&connected_account::Model>) -> AccountDto {
    let live = account.filter(|a| a.disconnected_at.is_none());
    AccountDto {
        state: accounts::State::of(account).as_str().into(),
        account: live.map(|a| a.account.clone()),
        details_submitted: live.is_some_and(|a| a.details_submitted),
        charges_enabled: live.is_some_and(|a| a.charges_enabled),
        payouts_enabled: live.is_some_and(|a| a.payouts_enabled),
        requirements_due: live.map(accounts::requirements_due).unwrap_or_default(),
        connected_at: live.map(|a| timestamp(a.connected_at)),
    }
}

fn offer_dto(o: offer::Model) -> OfferDto {
    OfferDto {
        id: o.id.to_string(),
        price: money(o.amount, &o.currency),
        name: o.name,
        description: o.description,
        active: o.active,
    }
}

fn purchase_dto(p: purchase::Model) -> PurchaseDto {
    PurchaseDto {
        id: p.id.to_string(),
        amount: money(p.amount, &p.currency),
        fee: money(p.fee - p.fee_refunded, &p.currency),
        refunded: money(p.amount_refunded, &p.currency),
        item: p.item,
        status: p.status,
        disputed: p.disputed,
        buyer: p.buyer_email,
        created_at: timestamp(p.created_at),
    }
}

fn totals_dto(t: ledger::Totals) -> TotalsDto {
    TotalsDto {
        volume: money(t.net_volume(), &t.currency),
        refunded: money(t.refunded, &t.currency),
        fees: money(t.net_fees(), &t.currency),
        payments: t.payments,
        disputed: t.disputed,
        currency: t.currency,
    }
}

/// The fee under the tenant's plan, in words.
fn fee_words(values: &tenantry::plans::entitlements::Entitlements) -> String {
    match fees::application_fee(values, 10_000) {
        0 => "no platform fee".into(),
        on_100 => format!(
            "platform fee: {} on a sale of 100.00",
            money(on_100, "").trim_end()
        ),
    }
}

pub async fn payments_overview(returned: bool) -> Result<PaymentsDto, AppError> {
    let engine = engine().await?;
    let (ctx, member) = member_as(Need::Admin).await?;
    let available = engine.settings().stripe_secret_key.is_some();
    let account = match (returned, available) {
        (true, true) => accounts::refresh(&ctx).await?,
        _ => accounts::current(&ctx).await?,
    };
    let offers = offers::list(&ctx, false).await?;
    let values = ctx.entitlements().await?.values;
    Ok(PaymentsDto {
        available,
        account: account_dto(account.as_ref()),
        offers: offers.into_iter().map(offer_dto).collect(),
        fee: fee_words(&values),
        owner: member.role == Role::Owner,
    })
}

pub async fn connect_payments() -> Result<String, AppError> {
    let (ctx, member) = member_as(Need::Owner).await?;
    Ok(accounts::connect(&ctx, &format!("member:{}", member.email)).await?)
}

pub async fn disconnect_payments(confirm: String) -> Result<(), AppError> {
    let (ctx, member) = member_as(Need::Owner).await?;
    if confirm.trim() != "disconnect" {
        return Err(fail(Error::invalid(
            "confirm",
            "type disconnect to confirm",
        )));
    }
    Ok(accounts::disconnect(&ctx, &format!("member:{}", member.email)).await?)
}

pub async fn add_offer(
    name: String,
    description: String,
    price: String,
    currency: String,
) -> Result<OfferDto, AppError> {
    let (ctx, member) = member_as(Need::Admin).await?;
    let input = offers::NewOffer {
        name,
        description,
        price,
        currency,
    };
    let created = offers::create(&ctx, &format!("member:{}", member.email), &input).await?;
    Ok(offer_dto(created))
}

pub async fn archive_offer(offer_id: String) -> Result<(), AppError> {
    let (ctx, member) = member_as(Need::Admin).await?;
    let id = parse_id(&offer_id)?;
    Ok(offers::archive(&ctx, &format!("member:{}", member.email), id).await?)
}

pub async fn list_purchases(after: String) -> Result<PageDto<PurchaseDto>, AppError> {
    let (ctx, _) = member_as(Need::Admin).await?;
    let place = Place::parse("", &after)?;
    // The buyer's address is on the purchase: no read of the members.
    let page = purchases::page(&ctx, None, &place).await?;
    paged(page, |p| Ok(purchase_dto(p)))
}

pub async fn refund_purchase(purchase_id: String) -> Result<PurchaseDto, AppError> {
    let (ctx, member) = member_as(Need::Admin).await?;
    let id = parse_id(&purchase_id)?;
    let refunded = purchases::refund(&ctx, &format!("member:{}", member.email), id).await?;
    Ok(purchase_dto(refunded))
}

pub async fn shop() -> Result<ShopDto, AppError> {
    let (ctx, _) = member_as(Need::Reader).await?;
    let account = accounts::current(&ctx).await?;
    let open = accounts::State::of(account.as_ref()) == accounts::State::Active;
    let offers = match open {
        true => offers::list(&ctx, true).await?,
        false => Vec::new(),
    };
    Ok(ShopDto {
        open,
        offers: offers.into_iter().map(offer_dto).collect(),
    })
}

pub async fn buy_offer(offer_id: String) -> Result<String, AppError> {
    let (ctx, member) = member_as(Need::SignedIn).await?;
    let id = parse_id(&offer_id)?;
    let buyer = purchases::Buyer {
        id: member.id,
        email: &member.email,
    };
    Ok(purchases::start(&ctx, buyer, id).await?)
}

pub async fn my_purchase(purchase_id: String) -> Result<PurchaseDto, AppError> {
    let (ctx, member) = member_as(Need::SignedIn).await?;
    let id = parse_id(&purchase_id)?;
    let found = purchases::get(&ctx, id).await?;
    // Another member's purchase is as missing as another tenant's.
    if found.buyer_id != member.id {
        return Err(fail(Error::NotFound));
    }
    let current = match found.status.as_str() {
        "open" => purchases::sync(&ctx, found).await?,
        _ => found,
    };
    Ok(purchase_dto(current))
}

pub async fn console_payments(
    slug: String,
    period: String,
) -> Result<ConsolePaymentsDto, AppError> {
    let (engine, _) = admin().await?;
    let period = match period.trim() {
        "" => Period::containing(chrono::Utc::now()),
        raw => Period::parse(raw)
            .ok_or_else(|| fail(Error::invalid("period", "must be a month like 2026-12")))?,
    };
    if slug.trim().is_empty() {
        let totals = ledger::platform(&engine, &period).await?;
        return Ok(ConsolePaymentsDto {
            period: period.label(),
            account: None,
            totals: totals.into_iter().map(totals_dto).collect(),
        });
    }
    let slug = Slug::parse(&slug).map_err(|_| fail(Error::NotFound))?;
    let record = engine
        .record_by_slug(&slug)
        .await?
        .filter(|t| t.state != TenantState::Deleted)
        .ok_or_else(|| fail(Error::NotFound))?;
    let ctx = engine.ctx_for(record.id).await?;
    let account = accounts::current(&ctx).await?;
    let totals = ledger::of_tenant(&engine, record.id, &period).await?;
    Ok(ConsolePaymentsDto {
        period: period.label(),
        account: Some(account_dto(account.as_ref())),
        totals: totals.into_iter().map(totals_dto).collect(),
    })
}
