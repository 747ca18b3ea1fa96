//! A plan's prices, in integer minor units of one currency.
//!
//! Stored (and typed into the console) as a JSON array; each element is one
//! of:
//! - `{"type":"flat","amount":4900}`: a base fee per period;
//! - `{"type":"per_seat","unit_amount":1000,"included":3}`: per active member
//!   above `included`;
//! - `{"type":"usage","meter":"api_calls","model":…,"included":10000}`: per
//!   unit of a meter above `included`, where `model` is `per_unit`
//!   (`unit_amount`), `package` (`amount` per started `package_size` units),
//!   `graduated` or `volume` (`tiers`: `[{"up_to":1000,"unit_amount":0,
//!   "flat_amount":0}, …, {"up_to":null,…}]`).
//!
//! Every element also has a `key`, a `name` and a `currency`. A base fee plus
//! usage prices with `included` units is a hybrid plan.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The largest amount or quantity a price may name (a trillion minor units),
/// so that rating in `i128` never comes near overflow.
const MAX_AMOUNT: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Price {
    pub key: String,
    pub name: String,
    pub currency: String,
    pub charge: Charge,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Charge {
    Flat {
        amount: i64,
    },
    PerSeat {
        unit_amount: i64,
        included: i64,
    },
    Usage {
        meter: String,
        included: i64,
        model: UsageModel,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum UsageModel {
    PerUnit { unit_amount: i64 },
    Package { size: i64, amount: i64 },
    Graduated { tiers: Vec<Tier> },
    Volume { tiers: Vec<Tier> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    /// The last unit of this tier; `None` for the open-ended last tier.
    pub up_to: Option<i64>,
    #[serde(default)]
    pub unit_amount: i64,
    #[serde(default)]
    pub flat_amount: i64,
}

/// One price as written: every field optional, checked by [`parse`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<Tier>>,
}

fn bad(index: usize, key: &str, reason: impl std::fmt::Display) -> Error {
    let named = if key.is_empty() {
        String::new()
    } else {
        format!(" ({key:?})")
    };
    Error::invalid("prices", format!("price {}{named}: {reason}", index + 1))
}

fn amount(index: usize, key: &str, name: &str, value: Option<i64>) -> Result<i64> {
    match value {
        None => Err(bad(index, key, format!("{name} is required"))),
        Some(v) if !(0..=MAX_AMOUNT).contains(&v) => Err(bad(
            index,
            key,
            format!("{name} must be a whole number from 0 to {MAX_AMOUNT}"),
        )),
        Some(v) => Ok(v),
    }
}

fn tiers(index: usize, key: &str, raw: Option<Vec<Tier>>) -> Result<Vec<Tier>> {
    let tiers = raw.unwrap_or_default();
    if tiers.is_empty() {
        return Err(bad(index, key, "tiers are required"));
    }
    let mut floor = 0;
    for (n, tier) in tiers.iter().enumerate() {
        let last = n + 1 == tiers.len();
        let what = format!("tier {}", n + 1);
        amount(
            index,
            key,
            &format!("{what} unit_amount"),
            Some(tier.unit_amount),
        )?;
        amount(
            index,
            key,
            &format!("{what} flat_amount"),
            Some(tier.flat_amount),
        )?;
        match (tier.up_to, last) {
            (None, true) => {}
            (None, false) => {
                return Err(bad(
                    index,
                    key,
                    format!("{what}: only the last tier may be open-ended (up_to null)"),
                ));
            }
            (Some(_), true) => {
                return Err(bad(
                    index,
                    key,
                    format!("{what}: the last tier must be open-ended (up_to null)"),
                ));
            }
            (Some(up_to), false) if up_to <= floor || up_to > MAX_AMOUNT => {
                return Err(bad(
                    index,
                    key,
                    format!("{what}: up_to must be above {floor} and rise with each tier"),
                ));
            }
            (Some(up_to), false) => floor = up_to,
        }
    }
    Ok(tiers)
}

fn identifier(index: usize, raw: &str) -> Result<String> {
    let ok = (1..=40).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(bad(
            index,
            raw,
            "key must be 1 to 40 lowercase letters, digits, - or _",
        ))
    }
}

fn one(index: usize, input: PriceInput, meter_exists: &dyn Fn(&str) -> bool) -> Result<Price> {
    let key = identifier(index, input.key.trim())?;
    let k = key.as_str();
    let currency = input.currency.trim().to_ascii_lowercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(bad(
            index,
            k,
            "currency must be a three-letter ISO code such as usd",
        ));
    }
    let included = match input.included {
        None => 0,
        some => amount(index, k, "included", some)?,
    };
    let charge = match input.kind.as_str() {
        "flat" => Charge::Flat {
            amount: amount(index, k, "amount", input.amount)?,
        },
        "per_seat" => Charge::PerSeat {
            unit_amount: amount(index, k, "unit_amount", input.unit_amount)?,
            included,
        },
        "usage" => {
            let meter = input.meter.unwrap_or_default();
            if !meter_exists(&meter) {
                return Err(bad(index, k, format!("there is no meter {meter:?}")));
            }
            let model = match input.model.as_deref().unwrap_or("") {
                "per_unit" => UsageModel::PerUnit {
                    unit_amount: amount(index, k, "unit_amount", input.unit_amount)?,
                },
                "package" => {
                    let size = amount(index, k, "package_size", input.package_size)?;
                    if size == 0 {
                        return Err(bad(index, k, "package_size must be at least 1"));
                    }
                    UsageModel::Package {
                        size,
                        amount: amount(index, k, "amount", input.amount)?,
                    }
                }
                "graduated" => UsageModel::Graduated {
                    tiers: tiers(index, k, input.tiers)?,
                },
                "volume" => UsageModel::Volume {
                    tiers: tiers(index, k, input.tiers)?,
                },
                _ => {
                    return Err(bad(
                        index,
                        k,
                        "model must be per_unit, package, graduated or volume",
                    ));
                }
            };
            Charge::Usage {
                meter,
                included,
                model,
            }
        }
        _ => return Err(bad(index, k, "type must be flat, per_seat or usage")),
    };
    let name = match input.name.trim() {
        "" => key.clone(),
        name if name.chars().count() > 80 => {
            return Err(bad(index, k, "name must be at most 80 characters"))
        }
        name => name.to_owned(),
    };
    Ok(Price {
        key,
        name,
        currency,
        charge,
    })
}

/// Parses and checks a plan's prices: unique keys, one currency, meters that
/// exist. Empty text means no prices.
pub fn parse(raw: &str, meter_exists: &dyn Fn(&str) -> bool) -> Result<Vec<Price>> {
    if raw.trim().is_empty() {
        return Ok(Vec::new());
    }
    let inputs: Vec<PriceInput> = serde_json::from_str(raw)
        .map_err(|e| Error::invalid("prices", format!("not a JSON array of prices: {e}")))?;
    let mut prices: Vec<Price> = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.into_iter().enumerate() {
        let price = one(index, input, meter_exists)?;
        if prices.iter().any(|p| p.key == price.key) {
            return Err(bad(index, &price.key, "key is used twice"));
        }
        if let Some(first) = prices.first() {
            if first.currency != price.currency {
                return Err(bad(
                    index,
                    &price.key,
                    format!(
                        "currency must be {}, like the plan's other prices",
                        first.currency
                    ),
                ));
            }
        }
        prices.push(price);
    }
    Ok(prices)
}

/// Stored prices, already checked when saved; junk reads as no prices (with
/// a warning), never as a charge nobody defined.
pub fn from_stored(raw: &str) -> Vec<Price> {
    parse(raw, &|_| true).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "stored prices unreadable; the plan charges nothing");
        Vec::new()
    })
}

/// The canonical JSON of checked prices (what is stored).
pub fn to_json(prices: &[Price]) -> String {
    let inputs: Vec<PriceInput> = prices.iter().map(input_of).collect();
    serde_json::to_string(&inputs).unwrap_or_else(|_| "[]".into())
}

/// Pretty JSON, for the console's form.
pub fn to_pretty_json(prices: &[Price]) -> String {
    let inputs: Vec<PriceInput> = prices.iter().map(input_of).collect();
    serde_json::to_string_pretty(&inputs).unwrap_or_else(|_| "[]".into())
}

fn input_of(p: &Price) -> PriceInput {
    let mut input = PriceInput {
        key: p.key.clone(),
        name: p.name.clone(),
        currency: p.currency.clone(),
        ..Default::default()
    };
    match &p.charge {
        Charge::Flat { amount } => {
            input.kind = "flat".into();
            input.amount = Some(*amount);
        }
        Charge::PerSeat {
            unit_amount,
            included,
        } => {
            input.kind = "per_seat".into();
            input.unit_amount = Some(*unit_amount);
            input.included = (*included > 0).then_some(*included);
        }
        Charge::Usage {
            meter,
            included,
            model,
        } => {
            input.kind = "usage".into();
            input.meter = Some(meter.clone());
            input.included = (*included > 0).then_some(*included);
            match model {
                UsageModel::PerUnit { unit_amount } => {
                    input.model = Some("per_unit".into());
                    input.unit_amount = Some(*unit_amount);
                }
                UsageModel::Package { size, amount } => {
                    input.model = Some("package".into());
                    input.package_size = Some(*size);
                    input.amount = Some(*amount);
                }
                UsageModel::Graduated { tiers } => {
                    input.model = Some("graduated".into());
                    input.tiers = Some(tiers.clone());
                }
                UsageModel::Volume { tiers } => {
                    input.model = Some("volume".into());
                    input.tiers = Some(tiers.clone());
                }
            }
        }
    }
    input
}

#[cfg(test)]
mod tests;
