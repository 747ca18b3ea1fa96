//! Plans and entitlements end to end through the real router: limits refuse
//! with the entitlement named, overrides raise them, features gate what they
//! name, quotas count durably with 80 % / 100 % events, and bad plan input
//! writes nothing.

use crate::harness::{TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;
use tenantry::events::{outbox, EventKind};
use tenantry::identity::members::{self, NewMember};
use tenantry::identity::{Actor, Role};
use tenantry::plans::overrides::{self, OverrideInput};
use tenantry::plans::store::{self, PlanInput};

on_both_backends!(
    limits_refuse_with_the_entitlement_named_and_an_override_raises_them,
    features_gate_what_they_name,
    a_hard_api_quota_warns_at_80_and_refuses_past_100_percent,
    a_soft_quota_announces_but_keeps_serving,
    bad_plan_input_names_the_field_and_writes_nothing,
);

/// Defines plan `key` with the given entitlement values (others off or
/// unlimited).
pub async fn define_plan(app: &TestApp, key: &str, enforcement: &str, values: &[(&str, &str)]) {
    let entitlements: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let input = PlanInput {
        key: key.into(),
        name: key[..1].to_uppercase() + &key[1..],
        tier: key.into(),
        quota_enforcement: enforcement.into(),
        entitlements,
        ..Default::default()
    };
    store::save(&app.engine, &input, "test")
        .await
        .expect("plan saved");
}

async fn limits_refuse_with_the_entitlement_named_and_an_override_raises_them(app: TestApp) {
    define_plan(
        &app,
        "small",
        "hard",
        &[
            ("api_access", "true"),
            ("max_projects", "2"),
            ("max_members", "2"),
        ],
    )
    .await;
    let ctx = app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "small", "test")
        .await
        .expect("assigned");
    let mut client = app.owner_client("alpha").await;
    for n in 0..2 {
        let res = client
            .post_json("/api/v1/projects", json!({ "name": format!("p{n}") }))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    }
    let refused = client
        .post_json("/api/v1/projects", json!({ "name": "one too many" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "plan_limit_reached");
    assert_eq!(error["entitlement"], "max_projects");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("The Small plan allows 2 projects") && message.contains("upgrade"),
        "{message}"
    );
    let listed = client.get("/api/v1/projects").await.json();
    assert_eq!(
        listed["projects"].as_array().expect("list").len(),
        2,
        "nothing written"
    );

    // Members: the owner is one of two.
    let ctx = app.ctx(ctx.tenant().slug.as_str()).await;
    let new = |email: &str| NewMember::parse(email, "", PASSWORD, "member").expect("valid");
    let db = ctx.db().await.expect("db");
    let owner_actor = || Actor {
        role: Role::Owner,
        member: None,
        label: "member:owner@alpha.test".into(),
    };
    members::add(&ctx, &db, &owner_actor(), new("second@alpha.test"))
        .await
        .expect("second member fits");
    let err = members::add(&ctx, &db, &owner_actor(), new("third@alpha.test"))
        .await
        .expect_err("third member is over max_members");
    assert_eq!(err.code(), "plan_limit_reached");
    db.commit().await.expect("commit");

    // An override with a reason raises the limit; removing it lowers it again.
    let input = OverrideInput {
        key: "max_projects".into(),
        value: "3".into(),
        reason: "trial of the larger plan".into(),
        expires_at: (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339(),
    };
    overrides::set(&app.engine, "alpha", &input, "test")
        .await
        .expect("override set");
    let res = client
        .post_json(
            "/api/v1/projects",
            json!({ "name": "thanks to the override" }),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let past = OverrideInput {
        expires_at: "2020-01-01T00:00:00Z".into(),
        ..input.clone()
    };
    let err = overrides::set(&app.engine, "alpha", &past, "test")
        .await
        .expect_err("an expiry in the past is refused");
    assert_eq!(err.field(), Some("expires_at"));
    let no_reason = OverrideInput {
        reason: " ".into(),
        ..input
    };
    let err = overrides::set(&app.engine, "alpha", &no_reason, "test")
        .await
        .expect_err("a reason is required");
    assert_eq!(err.field(), Some("reason"));
    overrides::remove(&app.engine, "alpha", "max_projects", "test")
        .await
        .expect("removed");
    let refused = client
        .post_json("/api/v1/projects", json!({ "name": "over again" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);

    // The move to the plan and the override are audited; the move is an event.
    let audit = tenantry::audit::recent(&app.engine, 50)
        .await
        .expect("audit");
    for action in [
        "tenant.plan_changed",
        "entitlement.overridden",
        "entitlement.override_removed",
    ] {
        assert!(audit.iter().any(|e| e.action == action), "{action} audited");
    }
    let events = outbox::recent(&app.engine, Some(ctx.id()), 20)
        .await
        .expect("events");
    let changed = events
        .iter()
        .find(|e| e.kind == EventKind::PlanChanged)
        .expect("plan.changed emitted");
    assert_eq!(changed.data["to"], "small");
}

async fn features_gate_what_they_name(app: TestApp) {
    define_plan(&app, "basic", "hard", &[]).await;
    app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "basic", "test")
        .await
        .expect("assigned");
    let record = app.ctx("alpha").await.tenant().clone();
    let err = tenantry::domains::add(&app.engine, &record, "app.alpha.test", "test")
        .await
        .expect_err("custom domains are not in the basic plan");
    assert_eq!(err.code(), "plan_feature_missing");
    assert!(
        err.public_message().contains("custom_domains"),
        "{}",
        err.public_message()
    );

    // Without api_access the JSON API is closed to this tenant (sign-in too).
    let mut client = app.client("alpha.localhost");
    let res = client
        .post_json(
            "/api/v1/session",
            json!({ "email": "owner@alpha.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert_eq!(res.json()["error"]["entitlement"], "api_access");

    // Turned on for this tenant alone by an override.
    let input = OverrideInput {
        key: "api_access".into(),
        value: "true".into(),
        reason: "integration pilot".into(),
        expires_at: String::new(),
    };
    overrides::set(&app.engine, "alpha", &input, "test")
        .await
        .expect("override");
    app.owner_client("alpha").await;
}

async fn a_hard_api_quota_warns_at_80_and_refuses_past_100_percent(app: TestApp) {
    define_plan(
        &app,
        "metered",
        "hard",
        &[("api_access", "true"), ("api_requests_per_month", "5")],
    )
    .await;
    let ctx = app.tenant("alpha").await;
    app.tenant("bravo").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "metered", "test")
        .await
        .expect("assigned");
    // Only authenticated calls count: the (anonymous) sign-in does not.
    let mut client = app.owner_client("alpha").await;
    for n in 1..=5 {
        let res = client.get("/api/v1/projects").await;
        assert_eq!(res.status, StatusCode::OK, "request {n}: {}", res.text);
        assert_eq!(
            res.headers["quota-remaining"].to_str().expect("header"),
            (5 - n).to_string()
        );
    }
    let refused = client.get("/api/v1/projects").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert_eq!(refused.json()["error"]["code"], "quota_exhausted");
    assert_eq!(
        refused.json()["error"]["entitlement"],
        "api_requests_per_month"
    );
    let used = tenantry::plans::quota::used(&app.ctx("alpha").await, "api_requests_per_month")
        .await
        .expect("used");
    assert_eq!(used, 5, "a refused request is not counted");
    // The metrics saw the 80 % warning, the 100 % and the refusal, once each.
    let metrics = app.engine.observer().render();
    let tenant = ctx.id().to_string();
    for event in ["warned", "exhausted", "refused"] {
        let labels = [
            ("meter", "api_requests_per_month"),
            ("event", event),
            ("tenant", tenant.as_str()),
        ];
        let counted =
            crate::observability::sample(&metrics, "tenantry_quota_events_total", &labels);
        assert_eq!(counted, 1.0, "{event}: {metrics}");
    }

    let events = outbox::recent(&app.engine, Some(ctx.id()), 20)
        .await
        .expect("events");
    let warning = events
        .iter()
        .find(|e| e.kind == EventKind::QuotaWarning)
        .expect("80 % announced");
    assert_eq!(warning.data["used"], 4);
    let exhausted = events
        .iter()
        .filter(|e| e.kind == EventKind::QuotaExhausted)
        .count();
    assert_eq!(exhausted, 1, "100 % announced once");

    // Another tenant's count is its own.
    let mut bravo = app.owner_client("bravo").await;
    assert_eq!(bravo.get("/api/v1/projects").await.status, StatusCode::OK);
}

async fn a_soft_quota_announces_but_keeps_serving(app: TestApp) {
    define_plan(
        &app,
        "soft",
        "soft",
        &[("api_access", "true"), ("api_requests_per_month", "2")],
    )
    .await;
    let ctx = app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "soft", "test")
        .await
        .expect("assigned");
    let mut client = app.owner_client("alpha").await;
    for _ in 0..3 {
        assert_eq!(client.get("/api/v1/projects").await.status, StatusCode::OK);
    }
    let used = tenantry::plans::quota::used(&app.ctx("alpha").await, "api_requests_per_month")
        .await
        .expect("used");
    assert_eq!(used, 3, "counted past the limit");
    let events = outbox::recent(&app.engine, Some(ctx.id()), 20)
        .await
        .expect("events");
    assert!(events.iter().any(|e| e.kind == EventKind::QuotaExhausted));
}

async fn bad_plan_input_names_the_field_and_writes_nothing(app: TestApp) {
    let before = store::list(&app.engine).await.expect("list").len();
    let cases: &[(&str, PlanInput)] = &[
        (
            "key",
            PlanInput {
                key: "Not A Key".into(),
                name: "x".into(),
                tier: "t".into(),
                ..Default::default()
            },
        ),
        (
            "name",
            PlanInput {
                key: "ok".into(),
                name: " ".into(),
                tier: "t".into(),
                ..Default::default()
            },
        ),
        (
            "tier",
            PlanInput {
                key: "ok".into(),
                name: "x".into(),
                tier: "".into(),
                ..Default::default()
            },
        ),
        (
            "placement_hint",
            PlanInput {
                key: "ok".into(),
                name: "x".into(),
                tier: "t".into(),
                placement_hint: "moon".into(),
                ..Default::default()
            },
        ),
        (
            "quota_enforcement",
            PlanInput {
                key: "ok".into(),
                name: "x".into(),
                tier: "t".into(),
                quota_enforcement: "sometimes".into(),
                ..Default::default()
            },
        ),
        (
            "max_projects",
            PlanInput {
                key: "ok".into(),
                name: "x".into(),
                tier: "t".into(),
                entitlements: [("max_projects".to_owned(), "lots".to_owned())].into(),
                ..Default::default()
            },
        ),
    ];
    for (field, input) in cases {
        let err = store::save(&app.engine, input, "test")
            .await
            .expect_err("refused");
        assert_eq!(err.field(), Some(*field), "{err}");
    }
    assert_eq!(store::list(&app.engine).await.expect("list").len(), before);
    // The default plan cannot be removed, nor a plan a tenant is on.
    let err = store::remove(&app.engine, "standard", "test")
        .await
        .expect_err("default plan");
    assert_eq!(err.code(), "conflict");
    define_plan(&app, "used", "hard", &[]).await;
    app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "used", "test")
        .await
        .expect("assigned");
    let err = store::remove(&app.engine, "used", "test")
        .await
        .expect_err("in use");
    assert_eq!(err.code(), "conflict");
    let err = tenantry::lifecycle::plan::assign(&app.engine, "alpha", "nonexistent", "test")
        .await
        .expect_err("unknown plan");
    assert_eq!(err.field(), Some("plan"));
}
