//! The plan catalogue mirrored to Stripe: one meter per usage price and one
//! price per plan price, each created once under an idempotency key and
//! recorded, so a retry finds what the first attempt made.

use super::*;

/// The Stripe meter event name of a usage price: one meter per price, since
/// what is reported is that price's billable quantity.
pub fn event_name(plan: &str, price: &str) -> String {
    format!("tenantry_{plan}_{price}")
}

pub(super) async fn ensure_meter(
    engine: &Engine,
    client: &Client,
    plan: &str,
    price: &Price,
) -> Result<String> {
    let key = format!("{plan}/{}", price.key);
    if let Some(row) = recorded(engine, METER, &key).await? {
        return Ok(row.stripe_id);
    }
    let form = Form::default()
        .field("display_name", format!("{plan}: {}", price.name))
        .field("event_name", event_name(plan, &price.key))
        .field("default_aggregation[formula]", "last")
        .field("customer_mapping[type]", "by_id")
        .field("customer_mapping[event_payload_key]", "stripe_customer_id")
        .field("value_settings[event_payload_key]", "value");
    let meter: Created = remote::post(
        client,
        "/billing/meters",
        &form,
        format!("tenantry-meter-{plan}-{}", price.key),
    )
    .await?;
    record(engine, METER, &key, &meter.id, None).await?;
    Ok(meter.id)
}

pub(super) fn with_tiers(mut form: Form, mode: &str, tiers: &[Tier]) -> Form {
    form = form
        .field("billing_scheme", "tiered")
        .field("tiers_mode", mode);
    for (i, tier) in tiers.iter().enumerate() {
        let up_to = tier
            .up_to
            .map_or_else(|| "inf".to_owned(), |n| n.to_string());
        form = form
            .field(format!("tiers[{i}][up_to]"), up_to)
            .field(format!("tiers[{i}][unit_amount]"), tier.unit_amount)
            .field(format!("tiers[{i}][flat_amount]"), tier.flat_amount);
    }
    form
}

/// How Stripe should charge one of our prices. Included seats become a free
/// first tier; a usage price's included units are already deducted from what
/// is reported, so its Stripe price has only the arithmetic.
pub(super) fn price_form(plan: &str, plan_name: &str, price: &Price, meter: Option<&str>) -> Form {
    let form = Form::default()
        .field("currency", &price.currency)
        .field("product_data[name]", format!("{plan_name}: {}", price.name))
        .field("recurring[interval]", "month")
        .field("metadata[tenantry_plan]", plan)
        .field("metadata[tenantry_price]", &price.key);
    match &price.charge {
        Charge::Flat { amount } => form
            .field("recurring[usage_type]", "licensed")
            .field("unit_amount", amount),
        Charge::PerSeat {
            unit_amount,
            included,
        } => {
            let form = form.field("recurring[usage_type]", "licensed");
            if *included > 0 {
                let free = Tier {
                    up_to: Some(*included),
                    unit_amount: 0,
                    flat_amount: 0,
                };
                let rest = Tier {
                    up_to: None,
                    unit_amount: *unit_amount,
                    flat_amount: 0,
                };
                with_tiers(form, "graduated", &[free, rest])
            } else {
                form.field("unit_amount", unit_amount)
            }
        }
        Charge::Usage { model, .. } => {
            let form = form
                .field("recurring[usage_type]", "metered")
                .field("recurring[meter]", meter.unwrap_or_default());
            match model {
                UsageModel::PerUnit { unit_amount } => form.field("unit_amount", unit_amount),
                UsageModel::Package { size, amount } => form
                    .field("unit_amount", amount)
                    .field("transform_quantity[divide_by]", size)
                    .field("transform_quantity[round]", "up"),
                UsageModel::Graduated { tiers } => with_tiers(form, "graduated", tiers),
                UsageModel::Volume { tiers } => with_tiers(form, "volume", tiers),
            }
        }
    }
}

/// The Stripe price for one of our prices, created once per definition: a
/// changed definition is a new Stripe price (Stripe prices are immutable).
pub(super) async fn ensure_price(
    engine: &Engine,
    client: &Client,
    plan: &str,
    plan_name: &str,
    price: &Price,
) -> Result<String> {
    // The plan's name is part of what Stripe is sent (the product's name).
    let definition =
        serde_json::to_string(&(plan_name, price)).map_err(|e| Error::Unexpected(e.into()))?;
    let key = format!("{plan}/{}/{}", price.key, digest(&definition));
    if let Some(row) = recorded(engine, PRICE, &key).await? {
        return Ok(row.stripe_id);
    }
    let meter = match price.charge {
        Charge::Usage { .. } => Some(ensure_meter(engine, client, plan, price).await?),
        _ => None,
    };
    let form = price_form(plan, plan_name, price, meter.as_deref());
    let created: Created = remote::post(
        client,
        "/prices",
        &form,
        format!("tenantry-price-{}", key.replace('/', "-")),
    )
    .await?;
    record(engine, PRICE, &key, &created.id, None).await?;
    Ok(created.id)
}
