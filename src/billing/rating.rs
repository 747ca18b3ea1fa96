//! The rating engine: prices and measured usage in, invoice lines out. Pure
//! (no I/O), so that the same code gives the preview, the final invoice and
//! the property tests.
//!
//! A period is split into segments, one per plan the tenant was on. Flat fees
//! and seats are prorated by time (seats per span of constant headcount);
//! each usage event belongs to exactly one segment, by its timestamp, and
//! a segment's included units are prorated by its share of the period.
//! Tiers restart in each segment, as they would on a new subscription.

use super::period::Period;
use crate::plans::prices::{Charge, Price, Tier, UsageModel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tenant's seats (active members) from `from` to `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeatSpan {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub seats: i64,
}

/// A stretch of the period on one plan, with what was measured in it.
#[derive(Debug, Clone)]
pub struct Segment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub plan_name: String,
    pub prices: Vec<Price>,
    /// Meter key → aggregate over `[from, to)`.
    pub usage: BTreeMap<String, i64>,
    /// Spans covering `[from, to)`.
    pub seats: Vec<SeatSpan>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierApplied {
    /// 1-based.
    pub tier: usize,
    pub quantity: i64,
    pub unit_amount: i64,
    pub flat_amount: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub price: String,
    pub description: String,
    /// Units measured (seats, events…) or 1 for a fee.
    pub quantity: i64,
    /// Of `quantity`, how many the plan includes at no charge.
    pub included: i64,
    pub unit_amount: Option<i64>,
    pub tiers: Vec<TierApplied>,
    pub amount: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Whether `amount` was scaled to part of the period.
    pub prorated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rated {
    pub period: Period,
    pub currency: String,
    pub lines: Vec<Line>,
    pub subtotal: i64,
    pub credits_applied: i64,
    pub total: i64,
}

/// `amount × part / whole`, rounded half up, in i128 so it cannot overflow.
fn scale(amount: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let (a, p, w) = (amount as i128, part as i128, whole as i128);
    ((a * p * 2 + w) / (w * 2)) as i64
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().max(0)
}

/// Graduated: each tier prices the units that fall in it.
pub fn graduated(quantity: i64, tiers: &[Tier]) -> Vec<TierApplied> {
    let mut applied = Vec::new();
    let mut floor = 0;
    for (n, tier) in tiers.iter().enumerate() {
        if quantity <= floor {
            break;
        }
        let ceiling = tier.up_to.unwrap_or(i64::MAX);
        let units = quantity.min(ceiling) - floor;
        applied.push(TierApplied {
            tier: n + 1,
            quantity: units,
            unit_amount: tier.unit_amount,
            flat_amount: tier.flat_amount,
            amount: units * tier.unit_amount + tier.flat_amount,
        });
        floor = ceiling;
    }
    applied
}

/// Volume: the tier the whole quantity reaches prices every unit.
pub fn volume(quantity: i64, tiers: &[Tier]) -> Vec<TierApplied> {
    if quantity <= 0 {
        return Vec::new();
    }
    let (n, tier) = tiers
        .iter()
        .enumerate()
        .find(|(_, t)| t.up_to.is_none_or(|up_to| quantity <= up_to))
        .or_else(|| tiers.iter().enumerate().next_back())
        .expect("checked prices have at least one tier");
    vec![TierApplied {
        tier: n + 1,
        quantity,
        unit_amount: tier.unit_amount,
        flat_amount: tier.flat_amount,
        amount: quantity * tier.unit_amount + tier.flat_amount,
    }]
}

/// What `billable` units cost under `model`, with the tiers used.
pub fn usage_cost(billable: i64, model: &UsageModel) -> (i64, Option<i64>, Vec<TierApplied>) {
    match model {
        UsageModel::PerUnit { unit_amount } => {
            (billable * unit_amount, Some(*unit_amount), Vec::new())
        }
        UsageModel::Package { size, amount } => {
            let packages = (billable + size - 1) / size;
            (packages * amount, None, Vec::new())
        }
        UsageModel::Graduated { tiers } => {
            let applied = graduated(billable, tiers);
            (applied.iter().map(|t| t.amount).sum(), None, applied)
        }
        UsageModel::Volume { tiers } => {
            let applied = volume(billable, tiers);
            (applied.iter().map(|t| t.amount).sum(), None, applied)
        }
    }
}

/// The days a span covers, both included (`to` is exclusive).
fn day_span(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let last = (to - chrono::Duration::seconds(1)).max(from);
    format!("{} – {}", from.format("%b %-d"), last.format("%b %-d"))
}

fn rate_segment(period: Period, segment: &Segment, lines: &mut Vec<Line>) {
    let whole = period.seconds();
    let part = seconds(segment.from, segment.to);
    let prorated = part != whole;
    let suffix = if prorated {
        format!(
            " ({}, {}, prorated)",
            segment.plan_name,
            day_span(segment.from, segment.to)
        )
    } else {
        String::new()
    };
    for price in &segment.prices {
        match &price.charge {
            Charge::Flat { amount } => lines.push(Line {
                price: price.key.clone(),
                description: format!("{}{suffix}", price.name),
                quantity: 1,
                included: 0,
                unit_amount: Some(*amount),
                tiers: Vec::new(),
                amount: scale(*amount, part, whole),
                from: segment.from,
                to: segment.to,
                prorated,
            }),
            Charge::PerSeat {
                unit_amount,
                included,
            } => {
                for span in &segment.seats {
                    let billable = (span.seats - included).max(0);
                    let span_part = seconds(span.from, span.to);
                    let span_prorated = span_part != whole;
                    let when = if span_prorated {
                        format!(", {} prorated", day_span(span.from, span.to))
                    } else {
                        String::new()
                    };
                    lines.push(Line {
                        price: price.key.clone(),
                        description: format!(
                            "{}: {} seat{}{when}",
                            price.name,
                            span.seats,
                            if span.seats == 1 { "" } else { "s" }
                        ),
                        quantity: span.seats,
                        included: span.seats.min(*included),
                        unit_amount: Some(*unit_amount),
                        tiers: Vec::new(),
                        amount: scale(billable * unit_amount, span_part, whole),
                        from: span.from,
                        to: span.to,
                        prorated: span_prorated,
                    });
                }
            }
            Charge::Usage {
                meter,
                included,
                model,
            } => {
                let quantity = segment.usage.get(meter).copied().unwrap_or(0).max(0);
                let allowance = scale(*included, part, whole);
                let covered = quantity.min(allowance);
                let (amount, unit_amount, tiers) = usage_cost(quantity - covered, model);
                lines.push(Line {
                    price: price.key.clone(),
                    description: format!("{}{suffix}", price.name),
                    quantity,
                    included: covered,
                    unit_amount,
                    tiers,
                    amount,
                    from: segment.from,
                    to: segment.to,
                    prorated,
                });
            }
        }
    }
}

/// Rates a period: every segment's lines, then prepaid credit (consumed
/// before anything is charged, never below zero).
pub fn rate(period: Period, segments: &[Segment], credits: i64) -> Rated {
    let mut lines = Vec::new();
    for segment in segments {
        rate_segment(period, segment, &mut lines);
    }
    let currency = segments
        .iter()
        .flat_map(|s| s.prices.first())
        .map(|p| p.currency.clone())
        .next()
        .unwrap_or_else(|| "usd".into());
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    let credits_applied = credits.clamp(0, subtotal.max(0));
    Rated {
        period,
        currency,
        lines,
        subtotal,
        credits_applied,
        total: subtotal - credits_applied,
    }
}

#[cfg(test)]
mod tests;
