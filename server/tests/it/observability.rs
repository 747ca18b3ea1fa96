//! Issue 23: metrics with a tenant dimension. Requests, database work and
//! jobs are counted by tenant on the metrics listener only; the tenant label
//! stays bounded at fleet size; what each tenant costs reaches the cost
//! ledger and ranks the noisiest tenants; a real Prometheus scrapes the
//! listener and answers per-tenant PromQL.

use crate::harness::TestApp;
use crate::on_both_backends;
use crate::peer::{free_port, wait_listening};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tenantry::config::ObservabilitySettings;
use tenantry::jobs::{self, JobRun, NewJob, Registry, Runner, TenantJob};
use tenantry::observe::{Observer, RequestDone};
use tenantry::tenancy::cost_ledger::{self, Measure, Span};
use tenantry::tenancy::TenantCtx;
use uuid::Uuid;

on_both_backends!(
    requests_database_work_and_jobs_are_counted_by_tenant,
    what_each_tenant_costs_reaches_the_ledger_and_ranks_the_noisiest,
    the_console_shows_the_noisiest_tenants_and_a_tenants_activity,
);

/// The sum of the samples of `name` whose labels include every pair of
/// `labels`, in the text exposition `text`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Series (sample lines) in `text` whose name starts with `prefix`.
fn series(text: &str, prefix: &str) -> usize {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.starts_with(prefix))
        .count()
}

#[derive(Serialize, Deserialize)]
struct Tally;

impl TenantJob for Tally {
    const KIND: &'static str = "test.tally";

    async fn run(self, ctx: &TenantCtx, _run: &JobRun) -> tenantry::Result<()> {
        ctx.run(false, async |db| {
            tenantry::product::projects::list(db).await
        })
        .await?;
        Ok(())
    }
}

async fn requests_database_work_and_jobs_are_counted_by_tenant(app: TestApp) {
    let alpha = app.tenant("alpha").await;
    app.tenant("bravo").await;
    let observer = app.engine.observer();
    let a = alpha.id().to_string();
    let mut owner = app.owner_client("alpha").await;
    let before = observer.render();
    let page = [
        ("route", "/"),
        ("status_class", "2xx"),
        ("tenant", a.as_str()),
    ];
    let mut sent = 0;
    for _ in 0..4 {
        let res = owner.get("/").await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        sent += res.bytes.len();
    }
    let after = observer.render();
    let delta = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    assert_eq!(delta("tenantry_http_requests_total", &page), 4.0, "{after}");
    let route = [("route", "/"), ("tenant", a.as_str())];
    assert_eq!(
        delta("tenantry_http_request_duration_seconds_count", &route),
        4.0
    );
    let tenant = [("tenant", a.as_str())];
    assert!(delta("tenantry_http_response_bytes_total", &tenant) >= sent as f64);
    let work = [("work", "request"), ("tenant", a.as_str())];
    assert!(delta("tenantry_cpu_seconds_total", &work) > 0.0, "{after}");
    // Each page reads the tenant's projects in a transaction of its own.
    let transactions = delta("tenantry_db_transactions_total", &tenant);
    assert!(transactions >= 4.0, "{transactions} transactions");
    let round_trips = delta("tenantry_db_round_trips_total", &tenant);
    assert!(
        round_trips >= 3.0 * transactions,
        "{round_trips} round trips"
    );
    assert!(delta("tenantry_db_seconds_total", &tenant) > 0.0);
    // Bravo's owner did nothing: no page of bravo's was counted.
    let bravo = app.ctx("bravo").await.id().to_string();
    let theirs = [("route", "/"), ("tenant", bravo.as_str())];
    assert_eq!(sample(&after, "tenantry_http_requests_total", &theirs), 0.0);

    // A job: its kind, outcome and tenant; the queue's depth as counted.
    let runner = Runner::new(app.engine.clone(), Registry::default().tenant::<Tally>());
    for _ in 0..3 {
        jobs::enqueue(&alpha, NewJob::new(&alpha, Tally))
            .await
            .expect("enqueued");
    }
    for _ in 0..200 {
        runner.pass().await.expect("pass");
        let text = tenantry_server::metrics_endpoint::scrape(&app.engine).await;
        let done = [
            ("kind", Tally::KIND),
            ("outcome", "done"),
            ("tenant", a.as_str()),
        ];
        if sample(&text, "tenantry_jobs_ended_total", &done) == 3.0 && runner.is_idle() {
            let kind = [("kind", Tally::KIND), ("tenant", a.as_str())];
            assert_eq!(
                sample(&text, "tenantry_job_duration_seconds_count", &kind),
                3.0
            );
            assert_eq!(sample(&text, "tenantry_jobs_queued", &kind), 0.0);
            let job_cpu = [("work", "job"), ("tenant", a.as_str())];
            assert!(sample(&text, "tenantry_cpu_seconds_total", &job_cpu) > 0.0);
            // The pools are counted at each scrape.
            assert!(text.contains("tenantry_pool_connections{"), "{text}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the jobs were not counted: {}", observer.render());
}

async fn what_each_tenant_costs_reaches_the_ledger_and_ranks_the_noisiest(app: TestApp) {
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let since = chrono::Utc::now() - chrono::Duration::minutes(5);
    let mut alpha_owner = app.owner_client("alpha").await;
    let mut bravo_owner = app.owner_client("bravo").await;
    for _ in 0..6 {
        alpha_owner.get("/").await;
    }
    bravo_owner.get("/").await;
    let written = cost_ledger::flush(&app.engine).await.expect("flushed");
    assert!(
        written >= 4,
        "minute and hour rows of two tenants: {written}"
    );
    // A second flush adds to the same rows.
    alpha_owner.get("/").await;
    cost_ledger::flush(&app.engine)
        .await
        .expect("flushed again");

    let minutes = cost_ledger::series(&app.engine, alpha.id(), Span::Minute, since)
        .await
        .expect("series");
    let requests: u64 = minutes.iter().map(|(_, c)| c.requests).sum();
    // Seven pages and the owner's sign-in.
    assert_eq!(requests, 8, "{minutes:?}");
    let cpu: u64 = minutes.iter().map(|(_, c)| c.request_cpu_micros).sum();
    assert!(cpu > 0 && minutes.iter().all(|(_, c)| c.db_statements > 0));
    let latencies: u64 = minutes
        .iter()
        .map(|(_, c)| c.latency.iter().sum::<u64>())
        .sum();
    assert_eq!(latencies, requests, "every request in one latency bucket");
    let hours = cost_ledger::series(
        &app.engine,
        alpha.id(),
        Span::Hour,
        since - chrono::Duration::hours(1),
    )
    .await
    .expect("hours");
    assert_eq!(hours.iter().map(|(_, c)| c.requests).sum::<u64>(), requests);
    // Bravo's rows are bravo's: its own series holds only its two requests.
    let theirs = cost_ledger::series(&app.engine, bravo.id(), Span::Minute, since)
        .await
        .expect("bravo");
    assert_eq!(theirs.iter().map(|(_, c)| c.requests).sum::<u64>(), 2);

    let noisiest = cost_ledger::noisiest(&app.engine, Measure::Requests, Span::Minute, since, 10)
        .await
        .expect("noisiest");
    let order: Vec<Uuid> = noisiest.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        order,
        vec![alpha.id().uuid(), bravo.id().uuid()],
        "{noisiest:?}"
    );
    assert_eq!(noisiest[0].1.requests, 8);
    for measure in Measure::ALL {
        cost_ledger::noisiest(&app.engine, measure, Span::Hour, since, 10)
            .await
            .expect("every measure ranks");
    }
    let total = cost_ledger::platform_total(&app.engine, Span::Minute, since)
        .await
        .expect("total");
    assert_eq!(total.requests, 10);

    // Trimmed by age: nothing of today's goes.
    let trimmed = cost_ledger::trim(&app.engine, chrono::Utc::now(), 35)
        .await
        .expect("trim");
    assert_eq!(trimmed, 0);
    let later = chrono::Utc::now() + chrono::Duration::days(3);
    assert!(
        cost_ledger::trim(&app.engine, later, 35)
            .await
            .expect("trim")
            >= 2
    );
}

async fn the_console_shows_the_noisiest_tenants_and_a_tenants_activity(app: TestApp) {
    use tenantry_app::features::activity::api::{NoisiestTenants, TenantActivity};
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let mut owner = app.owner_client("alpha").await;
    for _ in 0..5 {
        owner.get("/").await;
    }
    app.owner_client("bravo").await;
    cost_ledger::flush(&app.engine).await.expect("flushed");
    let mut admin = app.superadmin().await;

    let res = admin
        .server_fn::<NoisiestTenants>(&[("period", "hour")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let noisiest = res.json();
    let tables = noisiest["tables"].as_array().expect("tables");
    assert_eq!(tables.len(), 6, "one table per measure");
    let requests = tables
        .iter()
        .find(|t| t["key"] == "requests")
        .expect("requests");
    assert_eq!(requests["rows"][0]["slug"], "alpha", "{requests}");
    assert_eq!(requests["rows"][0]["value"], "6 requests", "{requests}");
    assert_eq!(requests["rows"][1]["slug"], "bravo", "{requests}");
    assert_eq!(requests["rows"][1]["value"], "1 request", "{requests}");
    let cpu = tables.iter().find(|t| t["key"] == "cpu").expect("cpu");
    assert!(
        cpu["rows"][0]["share"]
            .as_str()
            .is_some_and(|s| s.ends_with('%')),
        "{cpu}"
    );

    let res = admin
        .server_fn::<TenantActivity>(&[("slug", "alpha"), ("period", "hour")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let activity = res.json();
    let charts = activity["charts"].as_array().expect("charts");
    let keys: Vec<&str> = charts.iter().filter_map(|c| c["key"].as_str()).collect();
    assert_eq!(keys, ["requests", "errors", "latency", "share"]);
    let points = charts[0]["points"].as_array().expect("points");
    assert_eq!(points.len(), 60, "a point a minute");
    let counted: f64 = points.iter().filter_map(|p| p["value"].as_f64()).sum();
    assert_eq!(counted, 6.0);
    assert_eq!(charts[0]["summary"], "6 requests in the last hour");
    assert!(
        charts[1]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("0.0 %")),
        "{}",
        charts[1]
    );
    assert!(
        charts[2]["summary"]
            .as_str()
            .is_some_and(|s| s.ends_with(" ms")),
        "{}",
        charts[2]
    );

    // A period the views do not know is refused by field; a tenant's owner
    // reads none of it.
    let res = admin
        .server_fn::<TenantActivity>(&[("slug", "alpha"), ("period", "week")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["field"], "period");
    for res in [
        owner
            .server_fn::<NoisiestTenants>(&[("period", "day")])
            .await,
        owner
            .server_fn::<TenantActivity>(&[("slug", "alpha"), ("period", "day")])
            .await,
    ] {
        assert!(
            res.status == StatusCode::NOT_FOUND || res.status == StatusCode::FORBIDDEN,
            "{}",
            res.status
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_listener_only() {
    let app = TestApp::sqlite().await;
    app.tenant("alpha").await;
    // Not on a tenant host, not on the console host.
    for host in ["alpha.localhost", "admin.localhost"] {
        let res = app.client(host).get("/metrics").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{host}: {}", res.text);
        assert!(!res.text.contains("tenantry_http_requests"), "{host}");
    }
    let port = serve_metrics(&app).await;
    app.client("alpha.localhost").get("/login").await;
    let res = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = res.text().await.expect("text");
    assert!(
        text.contains("tenantry_http_requests_total{route=\"/login\""),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

/// 10,000 tenants' traffic, in two windows with different tenants busiest:
/// the label bound holds, and the tenants that lost their labels lost their
/// series.
#[tokio::test]
async fn the_tenant_label_stays_bounded_at_ten_thousand_tenants() {
    let settings = ObservabilitySettings {
        top_tenants: 20,
        label_window_secs: 1,
        ..Default::default()
    };
    let observer = Observer::new(&settings);
    let tenants: Vec<Uuid> = (0..10_000).map(|_| Uuid::new_v4()).collect();
    let request = |tenant: Uuid, route: &'static str, status: u16| RequestDone {
        route,
        status,
        tenant: Some(tenant),
        latency: Duration::from_millis(3),
        cpu: Duration::from_micros(200),
        bytes: 1000,
    };
    let wave = |busy: &[Uuid]| {
        for (n, &tenant) in tenants.iter().enumerate() {
            observer.request(&request(tenant, "/", if n % 10 == 0 { 500 } else { 200 }));
            observer.request(&request(tenant, "/api/v1/projects", 200));
        }
        // The busy tenants, many times over.
        for _ in 0..50 {
            for &tenant in busy {
                observer.request(&request(tenant, "/", 200));
            }
        }
    };
    wave(&tenants[5000..5020]);
    let first = observer.render();
    let request_series = series(&first, "tenantry_http_requests_total");
    let all_series = series(&first, "tenantry_");
    eprintln!(
        "10,000 tenants, top 20: {request_series} request series, {all_series} series in all"
    );
    // At most (20 own labels + other) x 2 routes x 2 status classes.
    assert!(request_series <= 21 * 4, "{request_series}");
    assert!(observer.labelled_tenants() <= 20);

    // The next window: other tenants are busiest; the earlier ones' series go.
    std::thread::sleep(Duration::from_millis(1100));
    wave(&tenants[9000..9020]);
    std::thread::sleep(Duration::from_millis(1100));
    observer.request(&request(tenants[9000], "/", 200));
    let second = observer.render();
    let request_series = series(&second, "tenantry_http_requests_total");
    eprintln!(
        "after the busiest changed: {request_series} request series, {} in all",
        series(&second, "tenantry_")
    );
    assert!(request_series <= 21 * 4, "{request_series}");
    // The request after the window ended is one of the new busiest's, under
    // its own label.
    assert!(
        second.contains(&tenants[9000].to_string()),
        "the new busiest are labelled"
    );
    assert!(
        !second.contains(&tenants[5005].to_string()),
        "the old busiest are forgotten"
    );
    // Nothing lost: every request is counted under some label.
    let counted = sample(&second, "tenantry_http_requests_total", &[]);
    let forgotten_own = 20.0 * (2.0 + 50.0);
    assert!(
        counted >= 2.0 * 20_000.0 + 2.0 * 50.0 * 20.0 - forgotten_own,
        "{counted}"
    );
}

/// A real Prometheus (Debian's package) scrapes the metrics listener every
/// second; PromQL over what it stored gives each tenant's own figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_per_tenant_figures() {
    let app = TestApp::postgres().await;
    let alpha = app.tenant("alpha").await.id().to_string();
    let bravo = app.tenant("bravo").await.id().to_string();
    let port = serve_metrics(&app).await;
    let prometheus = Prometheus::start(port).await;
    for (slug, times) in [("alpha", 5), ("bravo", 3)] {
        let mut client = app.client(&format!("{slug}.localhost"));
        for _ in 0..times {
            assert_eq!(client.get("/login").await.status, StatusCode::OK);
        }
    }
    let query = r#"sum by (tenant) (tenantry_http_requests_total{route="/login"})"#;
    let mut last = serde_json::Value::Null;
    for _ in 0..150 {
        last = prometheus.query(query).await;
        let value = |tenant: &str| {
            last["data"]["result"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["metric"]["tenant"] == tenant)
                .and_then(|r| r["value"][1].as_str()?.parse::<f64>().ok())
        };
        if value(&alpha) == Some(5.0) && value(&bravo) == Some(3.0) {
            let latency = format!(
                r#"sum(tenantry_http_request_duration_seconds_count{{route="/login",tenant="{alpha}"}})"#
            );
            let counted = prometheus.query(&latency).await;
            assert_eq!(counted["data"]["result"][0]["value"][1], "5", "{counted}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("Prometheus never answered 5 and 3: {last}");
}

/// Starts the metrics listener of `app` on a free port; the port.
async fn serve_metrics(app: &TestApp) -> u16 {
    let port = free_port();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let engine = app.engine.clone();
    tokio::spawn(tenantry_server::metrics_endpoint::serve(listener, engine));
    wait_listening(port, "the metrics listener").await;
    port
}

/// A Prometheus server of the test's own, scraping `127.0.0.1:<target>`.
struct Prometheus {
    process: std::process::Child,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Prometheus {
    async fn start(target: u16) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tenantry\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
            ),
        )
        .expect("config");
        let port = free_port();
        let process = std::process::Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("prometheus runs (Debian's package; scripts/setup installs it)");
        wait_listening(port, "prometheus").await;
        Self {
            process,
            _dir: dir,
            port,
        }
    }

    async fn query(&self, promql: &str) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}/api/v1/query", self.port);
        let sent = reqwest::Client::new()
            .get(url)
            .query(&[("query", promql)])
            .send()
            .await;
        match sent {
            Ok(res) => {
                serde_json::from_str(&res.text().await.unwrap_or_default()).unwrap_or_default()
            }
            Err(_) => serde_json::Value::Null,
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
