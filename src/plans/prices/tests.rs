use super::*;

const HYBRID: &str = r#"[
    {"key":"base","name":"Platform fee","type":"flat","amount":4900,"currency":"usd"},
    {"key":"seats","type":"per_seat","unit_amount":1000,"included":3,"currency":"usd"},
    {"key":"calls","type":"usage","meter":"api_calls","model":"package","package_size":1000,"amount":50,"included":10000,"currency":"USD"},
    {"key":"events","type":"usage","meter":"api_calls","model":"graduated","currency":"usd",
     "tiers":[{"up_to":1000,"unit_amount":0},{"up_to":null,"unit_amount":2,"flat_amount":100}]}
]"#;

#[test]
fn prices_round_trip_through_their_stored_form() {
    let prices = parse(HYBRID, &|m| m == "api_calls").expect("valid");
    assert_eq!(prices.len(), 4);
    assert_eq!(prices[1].name, "seats");
    assert_eq!(prices[2].currency, "usd");
    assert_eq!(from_stored(&to_json(&prices)), prices);
}

#[test]
fn each_mistake_names_its_price_and_reason() {
    let cases = [
        (
            r#"[{"key":"a","type":"flat","currency":"usd"}]"#,
            "amount is required",
        ),
        (
            r#"[{"key":"a","type":"flat","amount":-1,"currency":"usd"}]"#,
            "amount must be",
        ),
        (
            r#"[{"key":"a","type":"flat","amount":1,"currency":"dollars"}]"#,
            "currency",
        ),
        (
            r#"[{"key":"a","type":"usage","meter":"nope","model":"per_unit","unit_amount":1,"currency":"usd"}]"#,
            "no meter",
        ),
        (
            r#"[{"key":"a","type":"usage","meter":"api_calls","model":"package","package_size":0,"amount":1,"currency":"usd"}]"#,
            "at least 1",
        ),
        (
            r#"[{"key":"a","type":"usage","meter":"api_calls","model":"graduated","tiers":[{"up_to":10},{"up_to":5},{"up_to":null}],"currency":"usd"}]"#,
            "tier 2",
        ),
        (
            r#"[{"key":"a","type":"usage","meter":"api_calls","model":"volume","tiers":[{"up_to":10}],"currency":"usd"}]"#,
            "open-ended",
        ),
        (
            r#"[{"key":"a","type":"flat","amount":1,"currency":"usd"},{"key":"a","type":"flat","amount":1,"currency":"usd"}]"#,
            "used twice",
        ),
        (
            r#"[{"key":"a","type":"flat","amount":1,"currency":"usd"},{"key":"b","type":"flat","amount":1,"currency":"eur"}]"#,
            "currency must be usd",
        ),
        (
            r#"[{"key":"a","type":"flat","amount":1,"currency":"usd","colour":"red"}]"#,
            "unknown field",
        ),
        (r#"{"key":"a"}"#, "JSON array"),
    ];
    for (raw, reason) in cases {
        let err = parse(raw, &|m| m == "api_calls").expect_err(raw);
        assert_eq!(err.field(), Some("prices"), "{raw}");
        assert!(err.to_string().contains(reason), "{raw}: {err}");
    }
}
