//! What plans cost per request (cargo bench -p tenantry-server --bench
//! limits), each next to a baseline measured in the same run:
//!
//! - a flag read through the tenant context (`ctx.flags().enabled`) against a
//!   HashMap lookup;
//! - one rate-limit decision in memory against a HashMap lookup, and in Redis
//!   against a Redis `PING` (the round trip it cannot avoid);
//! - a whole request through the real router and gateway for a tenant whose
//!   plan has a rate limit (in memory, then in Redis) against the same
//!   request for a tenant whose plan has none.
//!
//! A report, not a test: no thresholds. `BENCH_QUICK=1` runs fewer rounds.

use axum::body::Body;
use axum::http::{header, Request};
use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::Instant;
use tenantry::cache::CacheKey;
use tenantry::plans::store::{self, PlanInput};
use tenantry::ratelimit::Rate;
use tenantry::tenancy::{Engine, RequestScope};
use tenantry::Settings;
use tower::ServiceExt;

const REDIS_URL: &str = "redis://127.0.0.1:6379/0";

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn per_call(calls: u32, started: Instant) -> f64 {
    started.elapsed().as_nanos() as f64 / f64::from(calls)
}

async fn app(dir: &std::path::Path, redis: bool) -> (Engine, axum::Router) {
    let data = dir.join("data").display().to_string();
    let mut pairs = vec![("data_dir", data.as_str())];
    if redis {
        pairs.push(("redis_url", REDIS_URL));
    }
    let settings = Settings::from_pairs(&pairs).expect("settings");
    Engine::migrate(&settings).await.expect("migrate");
    let engine = tenantry::runtime::connect(&settings).await.expect("engine");
    let router = tenantry_server::router::build(
        engine.clone(),
        tenantry_server::router::leptos_options(&settings),
    );
    (engine, router)
}

async fn tenant(engine: &Engine, slug: &str, plan: &str) {
    let input = tenantry::catalog::tenants::NewTenant {
        slug: slug.into(),
        name: slug.into(),
        admin_email: format!("owner@{slug}.bench"),
        admin_password: "correct horse battery".into(),
        plan: plan.into(),
        ..Default::default()
    };
    tenantry::lifecycle::create(engine, input, "bench")
        .await
        .expect("tenant");
}

async fn plans(engine: &Engine) {
    let unlimited_rate: BTreeMap<String, String> = [
        ("api_access", "true"),
        // High enough never to refuse: what is measured is the decision.
        ("requests_per_second", "1000000000"),
        ("burst", "1000000000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let input = PlanInput {
        key: "metered".into(),
        name: "Metered".into(),
        tier: "metered".into(),
        entitlements: unlimited_rate,
        ..Default::default()
    };
    store::save(engine, &input, "bench").await.expect("plan");
}

/// One `GET /api/v1/flags` (unauthenticated: it passes the whole gateway,
/// then answers 401 without a database query); how long it took.
async fn request(router: &axum::Router, host: &str) -> std::time::Duration {
    let req = Request::get("/api/v1/flags")
        .header(header::HOST, host)
        .body(Body::empty())
        .expect("request");
    let started = Instant::now();
    let res = router.clone().oneshot(req).await.expect("answer");
    black_box(res.status());
    started.elapsed()
}

/// Mean nanoseconds per request for the tenant without a limit and the one
/// with, measured alternately (A B A B …) so that drift hits both alike.
async fn request_costs(router: &axum::Router, n: u32) -> (f64, f64) {
    for host in ["open.localhost", "limited.localhost"] {
        request(router, host).await;
    }
    let (mut open, mut limited) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for _ in 0..n {
        open += request(router, "open.localhost").await;
        limited += request(router, "limited.localhost").await;
    }
    let mean = |d: std::time::Duration| d.as_nanos() as f64 / f64::from(n);
    (mean(open), mean(limited))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds = if quick() { 1 } else { 3 };
    let calls: u32 = if quick() { 200_000 } else { 2_000_000 };
    let requests: u32 = if quick() { 500 } else { 5_000 };
    let dir = tempfile::tempdir().expect("temp dir");
    let (engine, router) = app(dir.path(), false).await;
    plans(&engine).await;
    tenant(&engine, "open", "standard").await;
    tenant(&engine, "limited", "metered").await;
    let flag = tenantry::flags::store::FlagInput {
        key: "new_board".into(),
        kind: "boolean".into(),
        percentage: "50".into(),
        deny: "open".into(),
        ..Default::default()
    };
    tenantry::flags::store::save(&engine, &flag, "bench")
        .await
        .expect("flag");
    let Some(RequestScope::Tenant(ctx)) = tenantry::catalog::resolve::by_slug(&engine, "limited")
        .await
        .expect("resolve")
    else {
        panic!("tenant does not resolve");
    };
    let table: HashMap<String, bool> = [("new_board".to_owned(), true)].into();
    let redis_dir = tempfile::tempdir().expect("temp dir");
    let (redis_engine, redis_router) = app(redis_dir.path(), true).await;
    plans(&redis_engine).await;
    tenant(&redis_engine, "open", "standard").await;
    tenant(&redis_engine, "limited", "metered").await;
    let rate = Rate::per_second(1_000_000_000, 1_000_000_000);
    let mut redis = redis::Client::open(REDIS_URL)
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis");

    for round in 1..=rounds {
        let started = Instant::now();
        for _ in 0..calls {
            black_box(table.get(black_box("new_board")));
        }
        let lookup = per_call(calls, started);
        let started = Instant::now();
        for _ in 0..calls {
            black_box(ctx.flags().enabled(black_box("new_board")));
        }
        let flag_read = per_call(calls, started);
        let started = Instant::now();
        let keys = [
            CacheKey::platform("bench", "a"),
            CacheKey::platform("bench", "b"),
        ];
        for n in 0..calls {
            let key = &keys[(n % 2) as usize];
            black_box(engine.rate_limiter().check(key, rate).await);
        }
        let limiter = per_call(calls, started);
        let few = requests;
        let started = Instant::now();
        for _ in 0..few {
            let _: String = redis::cmd("PING")
                .query_async(&mut redis)
                .await
                .expect("ping");
        }
        let ping = per_call(few, started);
        let started = Instant::now();
        for _ in 0..few {
            black_box(
                redis_engine
                    .rate_limiter()
                    .check(&CacheKey::platform("bench", "redis"), rate)
                    .await,
            );
        }
        let redis_limiter = per_call(few, started);
        let (open, limited) = request_costs(&router, requests).await;
        let (redis_open, redis_limited) = request_costs(&redis_router, requests).await;
        println!("round {round}:");
        println!("  flag read (ctx.flags().enabled) {flag_read:>9.0} ns | HashMap lookup {lookup:>6.0} ns | ratio {:.1}x", flag_read / lookup);
        println!("  rate-limit decision, memory    {limiter:>9.0} ns | HashMap lookup {lookup:>6.0} ns | ratio {:.1}x", limiter / lookup);
        println!("  rate-limit decision, Redis     {:>9.1} µs | Redis PING     {:>6.1} µs | ratio {:.2}x", redis_limiter / 1e3, ping / 1e3, redis_limiter / ping);
        println!("  request, limit in memory       {:>9.1} µs | no limit       {:>6.1} µs | ratio {:.3}x (+{:.1} µs)", limited / 1e3, open / 1e3, limited / open, (limited - open) / 1e3);
        println!("  request, limit in Redis        {:>9.1} µs | no limit       {:>6.1} µs | ratio {:.3}x (+{:.1} µs)", redis_limited / 1e3, redis_open / 1e3, redis_limited / redis_open, (redis_limited - redis_open) / 1e3);
    }
}
