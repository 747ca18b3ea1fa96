//! How our prices read to Stripe, and which item changes bring a
//! subscription to the wanted items.

use super::*;

fn price(charge: Charge) -> Price {
    Price {
        key: "p".into(),
        name: "P".into(),
        currency: "eur".into(),
        charge,
    }
}

fn usage(model: UsageModel) -> Price {
    price(Charge::Usage {
        meter: "emails".into(),
        included: 100,
        model,
    })
}

#[test]
fn a_flat_fee_is_a_licensed_unit_amount() {
    let form = price_form("pro", "Pro", &price(Charge::Flat { amount: 5000 }), None);
    assert_eq!(form.get("recurring[usage_type]"), Some("licensed"));
    assert_eq!(form.get("unit_amount"), Some("5000"));
    assert_eq!(form.get("currency"), Some("eur"));
    assert_eq!(form.get("product_data[name]"), Some("Pro: P"));
    assert_eq!(form.get("metadata[tenantry_price]"), Some("p"));
}

#[test]
fn included_seats_are_a_free_first_tier() {
    let seats = price(Charge::PerSeat {
        unit_amount: 1000,
        included: 3,
    });
    let form = price_form("pro", "Pro", &seats, None);
    assert_eq!(form.get("billing_scheme"), Some("tiered"));
    assert_eq!(form.get("tiers_mode"), Some("graduated"));
    assert_eq!(form.get("tiers[0][up_to]"), Some("3"));
    assert_eq!(form.get("tiers[0][unit_amount]"), Some("0"));
    assert_eq!(form.get("tiers[1][up_to]"), Some("inf"));
    assert_eq!(form.get("tiers[1][unit_amount]"), Some("1000"));
    let plain = price(Charge::PerSeat {
        unit_amount: 1000,
        included: 0,
    });
    assert_eq!(
        price_form("pro", "Pro", &plain, None).get("unit_amount"),
        Some("1000")
    );
}

#[test]
fn usage_prices_are_metered_on_their_meter_without_the_allowance() {
    let per_unit = price_form(
        "pro",
        "Pro",
        &usage(UsageModel::PerUnit { unit_amount: 2 }),
        Some("mtr_1"),
    );
    assert_eq!(per_unit.get("recurring[usage_type]"), Some("metered"));
    assert_eq!(per_unit.get("recurring[meter]"), Some("mtr_1"));
    assert_eq!(per_unit.get("unit_amount"), Some("2"));
    // The allowance is deducted from what is reported, not priced.
    assert_eq!(per_unit.get("tiers[0][up_to]"), None);

    let package = price_form(
        "pro",
        "Pro",
        &usage(UsageModel::Package {
            size: 1000,
            amount: 500,
        }),
        Some("mtr_1"),
    );
    assert_eq!(package.get("transform_quantity[divide_by]"), Some("1000"));
    assert_eq!(package.get("transform_quantity[round]"), Some("up"));
    assert_eq!(package.get("unit_amount"), Some("500"));

    let tiers = vec![
        Tier {
            up_to: Some(10),
            unit_amount: 5,
            flat_amount: 100,
        },
        Tier {
            up_to: None,
            unit_amount: 3,
            flat_amount: 0,
        },
    ];
    let volume = price_form(
        "pro",
        "Pro",
        &usage(UsageModel::Volume { tiers }),
        Some("mtr_1"),
    );
    assert_eq!(volume.get("tiers_mode"), Some("volume"));
    assert_eq!(volume.get("tiers[0][flat_amount]"), Some("100"));
    assert_eq!(volume.get("tiers[1][up_to]"), Some("inf"));
    assert_eq!(volume.get("unit_amount"), None);
}

fn item(id: &str, price: &str, quantity: Option<i64>) -> RemoteItem {
    RemoteItem {
        id: id.into(),
        price: Created { id: price.into() },
        quantity,
    }
}

fn wanted(price: &str, quantity: Option<i64>) -> Wanted {
    Wanted {
        price: price.into(),
        quantity,
    }
}

#[test]
fn item_changes_delete_correct_and_add_only_what_differs() {
    let remote = [
        item("si_base", "price_base", Some(1)),
        item("si_seats", "price_seats", Some(2)),
        item("si_old", "price_old", None),
        item("si_usage", "price_usage", None),
    ];
    let want = [
        wanted("price_base", Some(1)),
        wanted("price_seats", Some(3)),
        wanted("price_usage", None),
        wanted("price_new", Some(1)),
    ];
    let form = item_changes(&remote, &want);
    assert_eq!(form.get("items[0][id]"), Some("si_seats"));
    assert_eq!(form.get("items[0][quantity]"), Some("3"));
    assert_eq!(form.get("items[1][id]"), Some("si_old"));
    assert_eq!(form.get("items[1][deleted]"), Some("true"));
    assert_eq!(form.get("items[2][price]"), Some("price_new"));
    assert_eq!(form.get("items[2][quantity]"), Some("1"));
    assert_eq!(form.get("items[3][id]"), None);

    let same = [
        wanted("price_base", Some(1)),
        wanted("price_seats", Some(2)),
        wanted("price_old", None),
        wanted("price_usage", None),
    ];
    assert!(item_changes(&remote, &same).is_empty());
}
