//! Per-tenant rate limits in the gateway: the noisy-neighbour property, the
//! 429 answer and its headers, keys that a client cannot influence, and
//! counters shared through Redis by several instances. Anonymous callers
//! draw on a bucket of their own, never on the tenant's, and only
//! authenticated API calls count against its monthly quota.

use crate::harness::{Client, TestApp, REDIS_URL};
use crate::on_both_backends;
use crate::plans::define_plan;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::time::{Duration, Instant};

on_both_backends!(anonymous_callers_spend_neither_the_tenants_bucket_nor_its_quota);

const RATE: u32 = 20;
const BURST: u32 = 20;

pub(crate) async fn limited_tenants(app: &TestApp, slugs: &[&str]) {
    let (rate, burst) = (RATE.to_string(), BURST.to_string());
    define_plan(
        app,
        "limited",
        "hard",
        &[
            ("api_access", "true"),
            ("requests_per_second", &rate),
            ("burst", &burst),
        ],
    )
    .await;
    for slug in slugs {
        app.tenant(slug).await;
        tenantry::lifecycle::plan::assign(&app.engine, slug, "limited", "test")
            .await
            .expect("assigned");
    }
}

#[derive(Default, Debug)]
struct Tally {
    ok: u32,
    limited: u32,
    latencies: Vec<Duration>,
}

impl Tally {
    fn median(&mut self) -> Duration {
        self.latencies.sort();
        self.latencies
            .get(self.latencies.len() / 2)
            .copied()
            .unwrap_or_default()
    }
}

/// Sends `GET /api/v1/projects` every `every` for `during`, each request on
/// its own task (so a slow answer does not slow the offered rate).
async fn offer(client: &Client, every: Duration, during: Duration) -> Tally {
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut tick = tokio::time::interval(every);
    while started.elapsed() < during {
        tick.tick().await;
        let mut c = client.on_host(&client.host);
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let res = c.get("/api/v1/projects").await;
            (res, sent.elapsed())
        }));
    }
    let mut tally = Tally::default();
    for task in tasks {
        let (res, took) = task.await.expect("request task");
        match res.status {
            StatusCode::OK => tally.ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                tally.limited += 1;
                let retry: u64 = res.headers["retry-after"]
                    .to_str()
                    .expect("retry-after")
                    .parse()
                    .expect("seconds");
                assert!(retry >= 1, "Retry-After is at least a second");
                assert_eq!(res.headers["ratelimit-remaining"], "0");
                assert_eq!(res.json()["error"]["code"], "rate_limited");
            }
            other => panic!("unexpected {other}: {}", res.text),
        }
        tally.latencies.push(took);
    }
    tally
}

/// At most the burst plus the sustained rate over the time elapsed (and one
/// interval of slack for the edges).
pub(crate) fn most_allowed(elapsed: Duration) -> u32 {
    BURST + (elapsed.as_secs_f64() * f64::from(RATE)).ceil() as u32 + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_hammering_at_ten_times_its_limit_is_refused_while_its_neighbour_is_served() {
    let app = TestApp::sqlite().await;
    limited_tenants(&app, &["noisy", "quiet"]).await;
    let noisy = app.owner_client("noisy").await;
    let quiet = app.owner_client("quiet").await;
    // The quiet tenant's latency on its own, for the report below.
    let mut alone = offer(&quiet, Duration::from_millis(100), Duration::from_secs(1)).await;
    assert_eq!(alone.limited, 0);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let started = Instant::now();
    let ten_times = Duration::from_secs(1) / (RATE * 10);
    let (mut hammer, mut neighbour) = tokio::join!(
        offer(&noisy, ten_times, Duration::from_secs(2)),
        offer(&quiet, Duration::from_millis(100), Duration::from_secs(2)),
    );
    let elapsed = started.elapsed();
    assert!(
        hammer.limited > hammer.ok,
        "most of the hammering is refused: {hammer:?}"
    );
    assert!(
        hammer.ok <= most_allowed(elapsed),
        "{} allowed in {elapsed:?} at {RATE}/s, burst {BURST}",
        hammer.ok
    );
    assert!(hammer.ok >= BURST, "the burst is served");
    assert_eq!(neighbour.limited, 0, "the neighbour is never refused");
    assert!(neighbour.ok >= 15, "the neighbour was served throughout");
    let (served, refused) = (hammer.ok, hammer.limited);
    // Each refusal is counted against the tenant that was refused (metrics).
    let metrics = app.engine.observer().render();
    let mut counted = Vec::new();
    for slug in ["noisy", "quiet"] {
        let tenant = app.ctx(slug).await.id().to_string();
        let labels = [("limit", "requests"), ("tenant", tenant.as_str())];
        counted.push(crate::observability::sample(
            &metrics,
            "tenantry_rate_limited_total",
            &labels,
        ));
    }
    assert_eq!(counted, [refused as f64, 0.0], "{metrics}");
    println!(
        "noisy: {served} served, {refused} refused; quiet: median {:?} alone, {:?} beside the noisy tenant (noisy median {:?})",
        alone.median(),
        neighbour.median(),
        hammer.median(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_is_keyed_on_the_resolved_tenant_not_on_forwarded_headers() {
    let app = TestApp::sqlite().await;
    limited_tenants(&app, &["alpha"]).await;
    let mut client = app.owner_client("alpha").await;
    let mut limited = 0;
    for n in 0..(BURST * 2) {
        // Each request claims another client address: the limit ignores it.
        let req = Request::get("/api/v1/projects")
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .header("x-real-ip", format!("198.51.100.{n}"))
            .body(Body::empty())
            .expect("request");
        let res = client.send(req).await;
        assert!(
            res.headers.contains_key("ratelimit-limit"),
            "rate headers on every answer"
        );
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!(limited >= BURST - 2, "{limited} of {} refused", BURST * 2);
    // Pages are limited too (the tenant's whole host), static assets are not.
    let page = client.get("/").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_two_instances_share_one_bucket_per_tenant() {
    let redis = [("redis_url", REDIS_URL)];
    let app = TestApp::sqlite_with(&redis).await;
    limited_tenants(&app, &["alpha"]).await;
    let second_engine = app.with_settings(&redis).await;
    let second = tenantry_server::router::build(
        second_engine.clone(),
        tenantry_server::router::leptos_options(second_engine.settings()),
    );
    let first = app.owner_client("alpha").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut clients = [first.on_host("alpha.localhost"), first.on_router(second)];
    let started = Instant::now();
    let mut ok = 0u32;
    let mut n = 0usize;
    while started.elapsed() < Duration::from_secs(1) {
        let res = clients[n % 2].get("/api/v1/projects").await;
        n += 1;
        match res.status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}: {}", res.text),
        }
    }
    let elapsed = started.elapsed();
    assert!(n > ok as usize, "some requests were refused ({n} sent)");
    assert!(
        ok <= most_allowed(elapsed),
        "{ok} allowed across two instances in {elapsed:?}: each kept its own bucket"
    );
}

/// Issue 18, point 7: before, the tenant's bucket and its API quota were
/// charged before authentication, so one anonymous client could make the
/// tenant's users get 429 and spend its month.
async fn anonymous_callers_spend_neither_the_tenants_bucket_nor_its_quota(app: TestApp) {
    let (rate, burst) = (RATE.to_string(), BURST.to_string());
    define_plan(
        &app,
        "metered",
        "hard",
        &[
            ("api_access", "true"),
            ("requests_per_second", &rate),
            ("burst", &burst),
            ("api_requests_per_month", "1000"),
        ],
    )
    .await;
    let ctx = app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "metered", "test")
        .await
        .expect("assigned");
    let mut owner = app.owner_client("alpha").await;
    let mut anonymous = app.client("alpha.localhost");
    let mut guesser = app.bearer_client("alpha.localhost", "tk_not_a_real_key_0000000000");
    let (mut refused, mut limited) = (0, 0);
    for _ in 0..BURST * 2 {
        for res in [
            anonymous.get("/api/v1/projects").await,
            guesser.get("/api/v1/projects").await,
        ] {
            match res.status {
                StatusCode::UNAUTHORIZED => refused += 1,
                StatusCode::TOO_MANY_REQUESTS => limited += 1,
                other => panic!("unexpected {other}: {}", res.text),
            }
        }
    }
    // (The owner's sign-in, anonymous, came out of the same bucket.)
    assert!(refused >= BURST - 2, "{refused} refused as unauthenticated");
    assert!(limited >= BURST, "{limited}: the anonymous bucket runs out");
    let tenant = ctx.id().to_string();
    let anonymous_refusals = crate::observability::sample(
        &app.engine.observer().render(),
        "tenantry_rate_limited_total",
        &[("limit", "anonymous"), ("tenant", tenant.as_str())],
    );
    assert!(anonymous_refusals >= limited as f64, "{anonymous_refusals}");
    // The tenant's members are served all the while...
    for _ in 0..BURST / 2 {
        let res = owner.get("/api/v1/projects").await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    // ...and only their calls were counted.
    let used =
        tenantry::plans::quota::used(&ctx, tenantry::plans::registry::API_REQUESTS_PER_MONTH)
            .await
            .expect("used");
    assert_eq!(used, i64::from(BURST / 2));
}
