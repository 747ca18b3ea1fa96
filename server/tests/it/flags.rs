//! Feature flags through the tenant context and the API, and their
//! propagation to other server instances: Postgres NOTIFY by default, Redis
//! pub/sub when Redis is configured.

use crate::harness::TestApp;
use crate::on_both_backends;
use axum::http::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use tenantry::flags::store::{self, FlagInput};
use tenantry::tenancy::Engine;

on_both_backends!(
    each_tenant_reads_its_own_evaluation_and_the_kill_switch_wins,
    flag_input_is_validated_field_by_field,
);

fn boolean_flag(key: &str) -> FlagInput {
    FlagInput {
        key: key.into(),
        description: "the new board".into(),
        kind: "boolean".into(),
        default: "false".into(),
        value: "true".into(),
        ..Default::default()
    }
}

async fn each_tenant_reads_its_own_evaluation_and_the_kill_switch_wins(app: TestApp) {
    let alpha = app.tenant("alpha").await;
    app.tenant("bravo").await;
    let input = FlagInput {
        allow: "alpha".into(),
        ..boolean_flag("new_board")
    };
    store::save(&app.engine, &input, "test")
        .await
        .expect("saved");
    assert!(alpha.flags().enabled("new_board"));
    assert!(!app.ctx("bravo").await.flags().enabled("new_board"));
    assert!(
        !alpha.flags().enabled("no_such_flag"),
        "unknown flags are off"
    );

    let mut a = app.owner_client("alpha").await;
    let mut b = app.owner_client("bravo").await;
    let flags = a.get("/api/v1/flags").await;
    assert_eq!(flags.status, StatusCode::OK, "{}", flags.text);
    assert_eq!(flags.json(), json!({ "flags": { "new_board": true } }));
    assert_eq!(
        b.get("/api/v1/flags").await.json()["flags"]["new_board"],
        false
    );
    let anonymous = app.client("alpha.localhost").get("/api/v1/flags").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Percentage rollout: a tenant's answer is the hash's, and stays.
    let rolled = FlagInput {
        percentage: "50".into(),
        ..boolean_flag("half")
    };
    store::save(&app.engine, &rolled, "test")
        .await
        .expect("saved");
    let expected = tenantry::flags::rollout_bucket("half", alpha.id()) < 5_000;
    assert_eq!(alpha.flags().enabled("half"), expected);
    let (resolved, live) = store::preview(&app.engine, "half").await.expect("preview");
    assert_eq!(live, 2);
    assert_eq!(resolved.iter().any(|r| r.slug == "alpha"), expected);

    // Per-user targeting inside a tenant: bravo's owner alone; a form save
    // keeps the rule.
    let owner = {
        let bravo = app.ctx("bravo").await;
        let db = bravo.read().await.expect("db");
        tenantry::identity::members::list(&db)
            .await
            .expect("members")[0]
            .id
    };
    let bravo = app.ctx("bravo").await;
    store::set_user_rule(
        &app.engine,
        "new_board",
        bravo.id(),
        vec![owner],
        json!(true),
        "test",
    )
    .await
    .expect("user rule");
    store::save(&app.engine, &input, "test")
        .await
        .expect("form save");
    assert!(bravo.flags_for(Some(owner)).enabled("new_board"));
    assert!(!bravo
        .flags_for(Some(uuid::Uuid::now_v7()))
        .enabled("new_board"));
    assert!(
        !bravo.flags().enabled("new_board"),
        "not for the tenant as a whole"
    );
    assert_eq!(
        b.get("/api/v1/flags").await.json()["flags"]["new_board"],
        true,
        "the API evaluates for the caller"
    );
    let err = store::set_user_rule(
        &app.engine,
        "new_board",
        bravo.id(),
        vec![owner],
        json!("yes"),
        "test",
    )
    .await
    .expect_err("a value of the wrong kind");
    assert_eq!(err.field(), Some("value"));

    store::set_kill_switch(&app.engine, "new_board", true, "test")
        .await
        .expect("killed");
    assert!(!alpha.flags().enabled("new_board"), "the kill switch wins");
    assert!(
        !bravo.flags_for(Some(owner)).enabled("new_board"),
        "for every user too"
    );
    assert_eq!(
        a.get("/api/v1/flags").await.json()["flags"]["new_board"],
        false
    );
    let history = store::history(&app.engine, "new_board", 10)
        .await
        .expect("history");
    let summaries: Vec<&str> = history.iter().map(|h| h.summary.as_str()).collect();
    assert_eq!(summaries.first(), Some(&"kill switch on"));
    assert_eq!(summaries.last(), Some(&"created"));
    assert_eq!(summaries.len(), 4, "{summaries:?}");
}

async fn flag_input_is_validated_field_by_field(app: TestApp) {
    app.tenant("alpha").await;
    let cases = [
        (
            "key",
            FlagInput {
                key: "Bad Key".into(),
                ..boolean_flag("x")
            },
        ),
        (
            "kind",
            FlagInput {
                kind: "colour".into(),
                ..boolean_flag("x")
            },
        ),
        (
            "default",
            FlagInput {
                default: "\"yes\"".into(),
                ..boolean_flag("x")
            },
        ),
        (
            "percentage",
            FlagInput {
                percentage: "150".into(),
                ..boolean_flag("x")
            },
        ),
        (
            "allow",
            FlagInput {
                allow: "alpha, nobody".into(),
                ..boolean_flag("x")
            },
        ),
        (
            "plans",
            FlagInput {
                plans: "platinum".into(),
                ..boolean_flag("x")
            },
        ),
        (
            "value",
            FlagInput {
                kind: "number".into(),
                default: "1".into(),
                value: "\"many\"".into(),
                percentage: "10".into(),
                ..boolean_flag("x")
            },
        ),
    ];
    for (field, input) in cases {
        let err = store::save(&app.engine, &input, "test")
            .await
            .expect_err("refused");
        assert_eq!(err.field(), Some(field), "{err}");
    }
    assert!(
        store::list(&app.engine).await.expect("list").is_empty(),
        "nothing written"
    );
}

/// Waits until `engine` evaluates `key` as `on` for tenant `slug`, and says
/// how long that took; fails after `limit`.
async fn propagated(engine: &Engine, slug: &str, key: &str, on: bool, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        engine.policy().await.expect("policy");
        let Some(tenantry::tenancy::RequestScope::Tenant(ctx)) =
            tenantry::catalog::resolve::by_slug(engine, slug)
                .await
                .expect("resolve")
        else {
            panic!("{slug} does not resolve");
        };
        if ctx.flags().enabled(key) == on {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not propagated within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Two instances on one database; a kill switch flipped on one is obeyed by
/// the other within a second.
async fn changes_reach_another_instance(app: TestApp, extra: &[(&str, &str)]) {
    app.tenant("alpha").await;
    let other = app.with_settings(extra).await;
    store::save(&app.engine, &boolean_flag("new_board"), "test")
        .await
        .expect("saved");
    let input = FlagInput {
        allow: "alpha".into(),
        ..boolean_flag("new_board")
    };
    store::save(&app.engine, &input, "test")
        .await
        .expect("saved");
    let on = propagated(&other, "alpha", "new_board", true, Duration::from_secs(1)).await;
    store::set_kill_switch(&app.engine, "new_board", true, "test")
        .await
        .expect("killed");
    let off = propagated(&other, "alpha", "new_board", false, Duration::from_secs(1)).await;
    println!("propagation: on after {on:?}, kill switch after {off:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_change_reaches_another_instance_by_notify_within_a_second() {
    changes_reach_another_instance(TestApp::postgres().await, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_change_reaches_another_instance_by_pub_sub_within_a_second() {
    // Postgres as the store, so that only Redis can carry the change (with
    // Redis configured, instances do not listen for NOTIFY).
    let redis = [("redis_url", crate::harness::REDIS_URL)];
    let app = TestApp::postgres_with(&redis).await;
    changes_reach_another_instance(app, &redis).await;
}
