use super::*;
use serde_json::json;

fn meters() -> BTreeMap<String, Meter> {
    let mut m = BTreeMap::new();
    for (key, aggregation) in [("requests", Aggregation::Sum), ("seats", Aggregation::Max)] {
        m.insert(
            key.to_owned(),
            Meter {
                key: key.into(),
                name: key.into(),
                unit: "units".into(),
                aggregation,
                property: None,
                filters: BTreeMap::new(),
            },
        );
    }
    m
}

#[test]
fn each_bad_event_is_refused_with_its_field_and_the_rest_accepted() {
    let meters = meters();
    let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
        .expect("a time")
        .with_timezone(&Utc);
    let rules = Rules {
        meters: &meters,
        now,
        late_hours: 72,
        platform: false,
    };
    let batch = vec![
        json!({"id": "ok-1", "meter": "requests", "quantity": 3, "timestamp": "2026-11-29T11:00:00.750Z", "properties": {"region": "eu", "n": 4}}),
        json!({"meter": "requests"}),
        json!({"id": "x", "meter": "nope"}),
        json!({"id": "x", "meter": "seats"}),
        json!({"id": "x", "meter": "requests", "quantity": -1}),
        json!({"id": "x", "meter": "requests", "quantity": 1.5}),
        json!({"id": "x", "meter": "requests", "timestamp": "yesterday"}),
        json!({"id": "x", "meter": "requests", "timestamp": "2026-11-29T12:06:00Z"}),
        json!({"id": "x", "meter": "requests", "timestamp": "2026-11-25T11:59:59Z"}),
        json!({"id": "x", "meter": "requests", "properties": {"bad key": "v"}}),
        json!({"id": "x", "meter": "requests", "colour": "red"}),
        json!("not an object"),
        json!({"id": "late-ok", "meter": "requests", "timestamp": "2026-11-26T12:00:01Z"}),
    ];
    let (events, rejected) = validate(&batch, &rules).expect("batch");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].quantity, 3);
    assert_eq!(
        events[0].occurred_at.to_rfc3339(),
        "2026-11-29T11:00:00+00:00"
    );
    assert_eq!(events[0].properties["n"], "4");
    let fields: Vec<_> = rejected.iter().map(|r| (r.index, r.field)).collect();
    assert_eq!(
        fields,
        vec![
            (1, "id"),
            (2, "meter"),
            (3, "meter"),
            (4, "quantity"),
            (5, "quantity"),
            (6, "timestamp"),
            (7, "timestamp"),
            (8, "timestamp"),
            (9, "properties"),
            (10, "event"),
            (11, "event")
        ]
    );
    assert!(rejected[2].reason.contains("recorded by the platform"));
    assert!(rejected[7].reason.contains("72-hour late window"));
    assert!(validate(&[], &rules).is_err());
    assert!(validate(&vec![json!({}); MAX_BATCH + 1], &rules).is_err());
}
