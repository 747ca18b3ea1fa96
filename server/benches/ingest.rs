//! Usage ingest throughput (cargo bench -p tenantry-server --bench ingest),
//! against a fresh PostgreSQL database of its own:
//!
//! - batched: `POST /api/v1/usage` with 1,000 events per request, through the
//!   real router, gateway, API-key check and tenant transaction;
//! - single: the same with one event per request;
//! - baseline: the same rows written by a raw `COPY … FROM STDIN` as the
//!   database superuser (no API, no checks, no row-level security): the
//!   floor the database itself sets.
//!
//! Reported as events per second and as ratios to the baseline, all in the
//! same run. A report, not a test: no thresholds. `BENCH_QUICK=1` sends less.

use axum::body::Body;
use axum::http::{header, Request};
use sea_orm::sqlx::{self, Connection};
use serde_json::json;
use std::time::Instant;
use tenantry::identity::{api_keys, members, Actor};
use tenantry::plans::meters::{self, MeterInput};
use tenantry::tenancy::{Engine, RequestScope};
use tenantry::Settings;
use tower::ServiceExt;

const DATABASE: &str = "tenantry_bench_ingest";

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn host() -> String {
    std::env::var("TENANTRY_TEST_PG_HOST").unwrap_or_else(|_| "127.0.0.1:5432".into())
}

fn admin_url(database: &str) -> String {
    let base = std::env::var("TENANTRY_PG_ADMIN_URL")
        .unwrap_or_else(|_| format!("postgres://postgres@{}/postgres", host()));
    match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => base,
    }
}

async fn admin(sql: &str) {
    let mut conn = sqlx::PgConnection::connect(&admin_url("postgres"))
        .await
        .expect("admin connection");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .expect("admin statement");
}

/// A migrated database with one tenant, a meter and an API key.
async fn setup() -> (Engine, axum::Router, String, uuid::Uuid) {
    admin(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")).await;
    admin(&format!("CREATE DATABASE {DATABASE} OWNER tenantry_owner")).await;
    let dir = std::env::temp_dir().join("tenantry-bench-ingest");
    let data = dir.display().to_string();
    let runtime = format!("postgres://tenantry_app@{}/{DATABASE}", host());
    let owner = format!("postgres://tenantry_owner@{}/{DATABASE}", host());
    let settings = Settings::from_pairs(&[
        ("database_url", runtime.as_str()),
        ("owner_database_url", owner.as_str()),
        ("tenant_database_prefix", "tenantry_bench_ingest_db_"),
        ("data_dir", data.as_str()),
    ])
    .expect("settings");
    Engine::migrate(&settings).await.expect("migrate");
    let engine = tenantry::runtime::connect(&settings).await.expect("engine");
    let input = tenantry::catalog::tenants::NewTenant {
        slug: "meter".into(),
        name: "Meter".into(),
        admin_email: "owner@meter.bench".into(),
        admin_password: "correct horse battery".into(),
        ..Default::default()
    };
    tenantry::lifecycle::create(&engine, input, "bench")
        .await
        .expect("tenant");
    let meter = MeterInput {
        key: "events".into(),
        name: "Events".into(),
        aggregation: "sum".into(),
        ..Default::default()
    };
    meters::save(&engine, &meter, "bench").await.expect("meter");
    let Some(RequestScope::Tenant(ctx)) = tenantry::catalog::resolve::by_slug(&engine, "meter")
        .await
        .expect("resolve")
    else {
        panic!("tenant not found");
    };
    let db = ctx.read().await.expect("db");
    let owner = members::list(&db).await.expect("members").remove(0);
    db.commit().await.expect("commit");
    let key = api_keys::create(
        &ctx,
        &Actor::of_member(owner),
        api_keys::NewKey::parse("bench", "member", "", "").expect("key"),
    )
    .await
    .expect("api key");
    let router = tenantry_server::router::build(
        engine.clone(),
        tenantry_server::router::leptos_options(&settings),
    );
    (engine, router, key.secret, ctx.id().uuid())
}

fn event(n: usize, prefix: &str) -> serde_json::Value {
    json!({"id": format!("{prefix}-{n}"), "meter": "events", "quantity": 1, "properties": {"region": "eu"}})
}

async fn post(router: &axum::Router, key: &str, events: Vec<serde_json::Value>) {
    let req = Request::post("/api/v1/usage")
        .header(header::HOST, "meter.localhost")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "events": events }).to_string()))
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("response");
    assert!(
        res.status().is_success(),
        "ingest answered {}",
        res.status()
    );
}

/// Events per second sending `requests` requests of `per_request` events.
async fn through_api(
    router: &axum::Router,
    key: &str,
    prefix: &str,
    requests: usize,
    per_request: usize,
) -> f64 {
    let started = Instant::now();
    for r in 0..requests {
        let events = (0..per_request)
            .map(|i| event(r * per_request + i, prefix))
            .collect();
        post(router, key, events).await;
    }
    (requests * per_request) as f64 / started.elapsed().as_secs_f64()
}

/// Events per second writing `rows` rows with one `COPY` per 1,000.
async fn through_copy(tenant: uuid::Uuid, rows: usize) -> f64 {
    let mut conn = sqlx::PgConnection::connect(&admin_url(DATABASE))
        .await
        .expect("superuser connection");
    let now = chrono::Utc::now();
    let at = now.format("%Y-%m-%d %H:%M:%S+00").to_string();
    let day = now.format("%Y-%m-%d").to_string();
    let started = Instant::now();
    for chunk in (0..rows).collect::<Vec<_>>().chunks(1000) {
        let mut data = String::new();
        for n in chunk {
            data.push_str(&format!(
                "{tenant}\tcopy-{n}\tevents\t1\t{at}\t{day}\t{{\"region\":\"eu\"}}\t{at}\n"
            ));
        }
        let mut copy = conn
            .copy_in_raw("COPY usage_events (tenant_id, id, meter, quantity, occurred_at, day, properties, received_at) FROM STDIN")
            .await
            .expect("copy");
        copy.send(data.into_bytes()).await.expect("rows");
        copy.finish().await.expect("copied");
    }
    rows as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let (batches, singles) = if quick() { (5, 300) } else { (50, 3000) };
    let (engine, router, key, tenant) = setup().await;
    // Warm-up: pools, policy snapshot, the key's first use.
    through_api(&router, &key, "warm", 2, 100).await;

    let batched = through_api(&router, &key, "batch", batches, 1000).await;
    let single = through_api(&router, &key, "single", singles, 1).await;
    let copy = through_copy(tenant, batches * 1000).await;

    println!(
        "usage ingest, events per second (PostgreSQL, {} events batched, {singles} single)",
        batches * 1000
    );
    println!(
        "  {:<44} {:>12.0}",
        "raw COPY as superuser (baseline)", copy
    );
    println!(
        "  {:<44} {:>12.0}   {:.2} × baseline",
        "POST /api/v1/usage, 1,000 events per request",
        batched,
        batched / copy
    );
    println!(
        "  {:<44} {:>12.0}   {:.4} × baseline",
        "POST /api/v1/usage, 1 event per request",
        single,
        single / copy
    );
    drop(router);
    drop(engine);
    admin(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")).await;
}
