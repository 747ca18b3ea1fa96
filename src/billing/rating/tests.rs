use super::*;
use crate::plans::prices::parse;
use chrono::{Duration, TimeZone};
use proptest::prelude::*;

fn november() -> Period {
    Period::containing(
        Utc.with_ymd_and_hms(2026, 11, 10, 0, 0, 0)
            .single()
            .expect("a time"),
    )
}

fn prices(raw: &str) -> Vec<Price> {
    parse(raw, &|_| true).expect("valid prices")
}

fn segment(from: DateTime<Utc>, to: DateTime<Utc>, prices: Vec<Price>) -> Segment {
    Segment {
        from,
        to,
        plan_name: "Plan".into(),
        prices,
        usage: BTreeMap::new(),
        seats: vec![SeatSpan { from, to, seats: 1 }],
    }
}

fn tiers(raw: &[(Option<i64>, i64, i64)]) -> Vec<Tier> {
    raw.iter()
        .map(|&(up_to, unit_amount, flat_amount)| Tier {
            up_to,
            unit_amount,
            flat_amount,
        })
        .collect()
}

const HYBRID: &str = r#"[
    {"key":"base","name":"Base fee","type":"flat","amount":5000,"currency":"usd"},
    {"key":"calls","name":"API calls","type":"usage","meter":"api_calls","model":"per_unit","unit_amount":2,"included":1000,"currency":"usd"}
]"#;

#[test]
fn a_hybrid_plan_charges_the_base_fee_and_only_usage_above_what_it_includes() {
    let p = november();
    let mut s = segment(p.start, p.end, prices(HYBRID));
    s.usage.insert("api_calls".into(), 1500);
    let rated = rate(p, &[s], 0);
    assert_eq!(rated.lines[0].amount, 5000);
    assert!(!rated.lines[0].prorated);
    assert_eq!(
        (rated.lines[1].quantity, rated.lines[1].included),
        (1500, 1000)
    );
    assert_eq!(rated.lines[1].amount, 500 * 2);
    assert_eq!(rated.total, 6000);
    // Prepaid credit goes first, and never below zero.
    assert_eq!(
        rate(p, &[segment(p.start, p.end, prices(HYBRID))], 2000).total,
        3000
    );
    assert_eq!(
        rate(p, &[segment(p.start, p.end, prices(HYBRID))], 9999).total,
        0
    );
}

#[test]
fn a_seat_added_mid_period_is_charged_for_the_rest_of_it() {
    let p = november();
    let raw =
        r#"[{"key":"seats","name":"Seats","type":"per_seat","unit_amount":3000,"currency":"usd"}]"#;
    let mid = p.start + Duration::days(15);
    let mut s = segment(p.start, p.end, prices(raw));
    s.seats = vec![
        SeatSpan {
            from: p.start,
            to: mid,
            seats: 2,
        },
        SeatSpan {
            from: mid,
            to: p.end,
            seats: 3,
        },
    ];
    let rated = rate(p, &[s], 0);
    // 2 seats for half of November, 3 for the other half.
    assert_eq!(rated.lines[0].amount, 3000);
    assert_eq!(rated.lines[1].amount, 4500);
    assert!(rated.lines[1].prorated);
    assert_eq!(rated.total, 7500);
}

#[test]
fn graduated_and_volume_tiers_price_the_stripe_way() {
    let t = tiers(&[(Some(10), 100, 0), (Some(20), 50, 0), (None, 10, 500)]);
    let g = graduated(25, &t);
    assert_eq!(
        g.iter().map(|x| x.quantity).collect::<Vec<_>>(),
        vec![10, 10, 5]
    );
    assert_eq!(
        g.iter().map(|x| x.amount).sum::<i64>(),
        1000 + 500 + 50 + 500
    );
    let v = volume(25, &t);
    assert_eq!((v[0].tier, v[0].amount), (3, 25 * 10 + 500));
    assert_eq!(volume(10, &t)[0].tier, 1);
    assert!(volume(0, &t).is_empty());
    let (amount, ..) = usage_cost(
        2001,
        &UsageModel::Package {
            size: 1000,
            amount: 50,
        },
    );
    assert_eq!(amount, 150);
}

#[test]
fn a_plan_change_prorates_both_plans() {
    let p = november();
    let mid = p.start + Duration::days(10);
    let cheap =
        prices(r#"[{"key":"base","name":"Starter","type":"flat","amount":3000,"currency":"usd"}]"#);
    let dear =
        prices(r#"[{"key":"base","name":"Pro","type":"flat","amount":9000,"currency":"usd"}]"#);
    let rated = rate(
        p,
        &[segment(p.start, mid, cheap), segment(mid, p.end, dear)],
        0,
    );
    assert_eq!(rated.lines[0].amount, 1000);
    assert_eq!(rated.lines[1].amount, 6000);
    assert!(rated.lines.iter().all(|l| l.prorated));
}

fn tier_strategy() -> impl Strategy<Value = Vec<Tier>> {
    (
        prop::collection::vec((1i64..500, 0i64..100, 0i64..1000), 0..4),
        0i64..100,
        0i64..1000,
    )
        .prop_map(|(steps, last_unit, last_flat)| {
            let mut floor = 0;
            let mut out = Vec::new();
            for (width, unit_amount, flat_amount) in steps {
                floor += width;
                out.push(Tier {
                    up_to: Some(floor),
                    unit_amount,
                    flat_amount,
                });
            }
            out.push(Tier {
                up_to: None,
                unit_amount: last_unit,
                flat_amount: last_flat,
            });
            out
        })
}

fn price_strategy() -> impl Strategy<Value = Price> {
    let charge = prop_oneof![
        (0i64..100_000).prop_map(|amount| Charge::Flat { amount }),
        (0i64..10_000, 0i64..5).prop_map(|(unit_amount, included)| Charge::PerSeat {
            unit_amount,
            included
        }),
        (0i64..100, 0i64..2_000).prop_map(|(unit_amount, included)| Charge::Usage {
            meter: "m".into(),
            included,
            model: UsageModel::PerUnit { unit_amount },
        }),
        (1i64..1_000, 0i64..1_000).prop_map(|(size, amount)| Charge::Usage {
            meter: "m".into(),
            included: 0,
            model: UsageModel::Package { size, amount },
        }),
        tier_strategy().prop_map(|tiers| Charge::Usage {
            meter: "m".into(),
            included: 0,
            model: UsageModel::Graduated { tiers }
        }),
        tier_strategy().prop_map(|tiers| Charge::Usage {
            meter: "m".into(),
            included: 0,
            model: UsageModel::Volume { tiers }
        }),
    ];
    charge.prop_map(|charge| Price {
        key: "p".into(),
        name: "P".into(),
        currency: "usd".into(),
        charge,
    })
}

proptest! {
    #[test]
    fn totals_are_the_sum_of_the_lines_less_credit(
        prices in prop::collection::vec(price_strategy(), 0..5),
        used in 0i64..100_000,
        seats in 0i64..50,
        split in 1i64..29,
        credits in 0i64..200_000,
    ) {
        let p = november();
        let mid = p.start + Duration::days(split);
        let mut a = segment(p.start, mid, prices.clone());
        let mut b = segment(mid, p.end, prices);
        a.usage.insert("m".into(), used / 3);
        b.usage.insert("m".into(), used - used / 3);
        a.seats[0].seats = seats;
        b.seats[0].seats = seats + 1;
        let rated = rate(p, &[a, b], credits);
        let sum: i64 = rated.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(rated.subtotal, sum);
        prop_assert_eq!(rated.total, rated.subtotal - rated.credits_applied);
        prop_assert!(rated.total >= 0 && rated.credits_applied <= credits);
        for line in &rated.lines {
            prop_assert!(line.amount >= 0);
            if !line.tiers.is_empty() {
                prop_assert_eq!(line.amount, line.tiers.iter().map(|t| t.amount).sum::<i64>());
                prop_assert_eq!(line.quantity - line.included, line.tiers.iter().map(|t| t.quantity).sum::<i64>());
            }
        }
    }

    #[test]
    fn graduated_pricing_never_falls_as_usage_rises(
        tiers in tier_strategy(),
        q in 0i64..5_000,
        more in 0i64..5_000,
    ) {
        let cost = |q| graduated(q, &tiers).iter().map(|t| t.amount).sum::<i64>();
        prop_assert!(cost(q) <= cost(q + more));
        prop_assert_eq!(graduated(q, &tiers).iter().map(|t| t.quantity).sum::<i64>(), q);
    }

    #[test]
    fn a_plan_change_never_charges_a_unit_twice(
        first in 0i64..50_000,
        second in 0i64..50_000,
        unit in 1i64..100,
        fee in 0i64..100_000,
        split in 1i64..29 * 24,
    ) {
        // The same prices before and after the change: splitting the period
        // may move a rounding unit of the fee, but never charges a unit of
        // usage or a stretch of time twice.
        let p = november();
        let mid = p.start + Duration::hours(split);
        let raw = format!(r#"[
            {{"key":"base","type":"flat","amount":{fee},"currency":"usd"}},
            {{"key":"u","type":"usage","meter":"m","model":"per_unit","unit_amount":{unit},"currency":"usd"}}
        ]"#);
        let mut whole = segment(p.start, p.end, prices(&raw));
        whole.usage.insert("m".into(), first + second);
        let mut a = segment(p.start, mid, prices(&raw));
        a.usage.insert("m".into(), first);
        let mut b = segment(mid, p.end, prices(&raw));
        b.usage.insert("m".into(), second);
        let once = rate(p, &[whole], 0);
        let split = rate(p, &[a, b], 0);
        let units = |r: &Rated| r.lines.iter().filter(|l| l.price == "u").map(|l| l.quantity).sum::<i64>();
        prop_assert_eq!(units(&split), first + second);
        prop_assert_eq!(units(&split), units(&once));
        let fees = |r: &Rated| r.lines.iter().filter(|l| l.price == "base").map(|l| l.amount).sum::<i64>();
        prop_assert!((fees(&split) - fees(&once)).abs() <= 1);
        prop_assert!(split.total <= once.total + 1);
    }
}
