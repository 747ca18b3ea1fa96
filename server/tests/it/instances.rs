//! Issue 24: N stateless instances behind a real load balancer. Three
//! processes of the server binary share one PostgreSQL, one Redis and one
//! S3 bucket (moto), each with an empty data directory of its own, behind
//! HAProxy (`haproxy.rs`). One test walks through what a deployment needs
//! of them and prints its figures:
//! - a session signed in on one instance is good on the others, and a
//!   sign-out on one ends it on all;
//! - a tenant change made through one instance (suspension, branding,
//!   plan, flag) is served by the other two within a second;
//! - a tenant's rate limit holds across them (the sum stays at the limit);
//! - periodic work runs once per period across them;
//! - files (a logo, an export archive) written through one are served by
//!   the others, and no instance's disk holds any;
//! - one instance killed with SIGKILL under a load of writes and reads
//!   loses no committed write, every read succeeds (the balancer sends
//!   again those the dead instance did not answer), and restarted it
//!   rejoins.

use crate::branding_assets::{png, upload};
use crate::haproxy::HaProxy;
use crate::harness::{
    setting_env, test_settings_env, TestApp, PASSWORD, PLATFORM_TOKEN, REDIS_URL,
};
use crate::ingest_faults::server_command;
use crate::moto::Moto;
use crate::peer::free_port;
use crate::plans::define_plan;
use crate::ratelimit::{limited_tenants, most_allowed};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenantry_app::features::flags::api::SaveFlag;
use tenantry_app::features::members::api::SaveBranding;
use tenantry_app::features::plans::api::AssignPlan;
use tenantry_app::features::session::api::{Logout, SignIn};

/// How long a change may take to reach the other instances.
const PROPAGATION: Duration = Duration::from_secs(1);
/// Concurrent writers and readers during the kill.
const WRITERS: usize = 6;
const READERS: usize = 2;

/// One server process: its port, its own data directory, its JSON log.
struct Instance {
    name: String,
    port: u16,
    env: Vec<(String, String)>,
    settings: tenantry::config::Settings,
    data_dir: tempfile::TempDir,
    log: PathBuf,
    process: Option<std::process::Child>,
}

impl Instance {
    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = server_command(&self.settings, self.port)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("TENANTRY_DATA_DIR", self.data_dir.path())
            .env("TENANTRY_LOG_FORMAT", "json")
            .env(
                "TENANTRY_LOG",
                "info,sqlx=warn,sea_orm=warn,tower_sessions=warn,tenantry::jobs::periodic=debug",
            )
            .stderr(log)
            .spawn()
            .expect("server starts");
        self.process = Some(child);
    }

    /// Waits until it listens; panics with the end of its log if it exits
    /// or takes longer than 30 s (three debug builds migrating at once).
    async fn ready(&mut self) {
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            let exited = self
                .process
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || started.elapsed() > Duration::from_secs(30) {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                panic!("{} did not start ({exited:?}): {:#?}", self.name, tail);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn kill_9(&mut self) {
        let mut child = self.process.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A router that sends each request over the network to `port`: the
/// harness's clients then talk to a real process.
fn over_http(port: u16) -> Router {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    Router::new().fallback(move |req: Request<Body>| forward(http.clone(), port, req))
}

async fn forward(http: reqwest::Client, port: u16, req: Request<Body>) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let res = http
        .request(parts.method, format!("http://127.0.0.1:{port}{path}"))
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("nothing answered on port {port}: {e}"));
    let mut out = axum::response::Response::builder().status(res.status());
    for (name, value) in res.headers() {
        out = out.header(name, value);
    }
    let bytes = res.bytes().await.expect("the whole answer");
    out.body(Body::from(bytes)).expect("response")
}

/// `GET path` on `host` at `port` with an API key: status and body.
async fn api_get(port: u16, host: &str, path: &str, key: &str) -> (StatusCode, String) {
    let res = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header("host", host)
        .bearer_auth(key)
        .send()
        .await
        .expect("answer");
    (res.status(), res.text().await.expect("body"))
}

/// How long until `seen` holds on every port, polled every 10 ms; panics
/// naming `what` past [`PROPAGATION`].
async fn propagated<F, Fut>(what: &str, ports: &[u16], seen: F) -> Duration
where
    F: Fn(u16) -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    let mut pending = ports.to_vec();
    loop {
        let mut still = Vec::new();
        for port in pending {
            if !seen(port).await {
                still.push(port);
            }
        }
        pending = still;
        if pending.is_empty() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < PROPAGATION,
            "{what}: the instances on {pending:?} did not see it within {PROPAGATION:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_haproxy_serve_as_one() {
    let moto = Moto::start().await;
    let s3 = moto.settings();
    let mut shared: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (*k, v.as_str())).collect();
    shared.push(("redis_url", REDIS_URL));
    let app = TestApp::postgres_with(&shared).await;
    for slug in ["alpha", "charlie"] {
        app.tenant(slug).await;
    }
    limited_tenants(&app, &["bravo"]).await;
    define_plan(&app, "closed", "hard", &[("api_access", "false")]).await;
    let key = |slug: &'static str| app.api_key(slug, "admin");
    let (alpha_key, bravo_key, charlie_key) =
        (key("alpha").await, key("bravo").await, key("charlie").await);
    tenantry::identity::admins::create(&app.engine, "root@platform.test", PASSWORD, "test")
        .await
        .expect("superadmin");

    let logs = tempfile::tempdir().expect("logs");
    let mut env = test_settings_env();
    env.extend(
        shared
            .iter()
            .map(|(k, v)| (setting_env(k), (*v).to_owned())),
    );
    let mut instances: Vec<Instance> = (0..3)
        .map(|i| Instance {
            name: format!("i{i}"),
            port: free_port(),
            env: env.clone(),
            settings: app.settings.clone(),
            data_dir: tempfile::tempdir().expect("data dir"),
            log: logs.path().join(format!("i{i}.log")),
            process: None,
        })
        .collect();
    let started = Instant::now();
    for instance in &mut instances {
        instance.spawn();
    }
    for instance in &mut instances {
        instance.ready().await;
    }
    let named: Vec<(String, u16)> = instances.iter().map(|i| (i.name.clone(), i.port)).collect();
    let balancer = HaProxy::start(&named).await;
    balancer
        .wait_up(&["i0", "i1", "i2"], Duration::from_secs(10))
        .await;
    let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
    let [p0, p1, p2] = [ports[0], ports[1], ports[2]];

    // Round robin: each instance answers through the balancer.
    let mut served = HashSet::new();
    for _ in 0..6 {
        let res = reqwest::get(format!("http://127.0.0.1:{}/healthz", balancer.port))
            .await
            .expect("answer");
        served.insert(
            res.headers()["x-served-by"]
                .to_str()
                .expect("name")
                .to_owned(),
        );
    }
    assert_eq!(served.len(), 3, "every instance serves: {served:?}");

    sessions_span_instances(&app, p0, p1, p2).await;
    changes_reach_every_instance(&app, [p0, p1, p2], &alpha_key, &charlie_key).await;
    rate_limit_is_shared(balancer.port, &bravo_key).await;
    files_live_in_object_storage(&app, &moto, [p0, p1, p2], &alpha_key, &instances).await;

    // The balancer's retries so far (a health check can race a request).
    let before = balancer.retries();
    let (writes, reads) = kill_one_under_load(&app, &balancer, &mut instances, &alpha_key).await;
    let (retries, redispatches) = balancer.retries();
    println!(
        "kill -9 under load: {writes} writes and {reads} reads; the balancer retried {} \
         and redispatched {}",
        retries - before.0,
        redispatches - before.1
    );

    // Periodic work: read last, over the whole run, restarts included.
    periodic_work_ran_once_per_period(&instances, started.elapsed());
}

/// A session signed in on i0 is good on i1 and i2; signed out on i2, it
/// ends on i0 too.
async fn sessions_span_instances(app: &TestApp, p0: u16, p1: u16, p2: u16) {
    let mut on_first = app.client("alpha.localhost").on_router(over_http(p0));
    let res = on_first
        .post_json(
            "/api/v1/session",
            json!({"email": "owner@alpha.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "sign-in on i0: {}", res.text);
    for port in [p1, p2] {
        let res = on_first
            .on_router(over_http(port))
            .get("/api/v1/projects")
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "i0's session on {port}: {}",
            res.text
        );
    }
    let mut on_third = on_first.on_router(over_http(p2));
    let res = on_third.server_fn::<Logout>(&[]).await;
    assert!(res.status.is_success(), "sign-out on i2: {}", res.text);
    let cookie = on_first.cookie.clone();
    let gone = propagated("a sign-out", &[p0, p1], |port| {
        let mut client = app.client("alpha.localhost").on_router(over_http(port));
        client.cookie = cookie.clone();
        async move { client.get("/api/v1/projects").await.status == StatusCode::UNAUTHORIZED }
    })
    .await;
    println!("sessions: signed in on i0, used on i1 and i2; signed out on i2, refused on i0 and i1 after {gone:?}");
}

/// Suspension, branding, plan and flag changes made through i0 are served
/// by i1 and i2 within [`PROPAGATION`].
async fn changes_reach_every_instance(
    app: &TestApp,
    [p0, p1, p2]: [u16; 3],
    alpha_key: &str,
    charlie_key: &str,
) {
    let others = [p1, p2];
    let http = reqwest::Client::new();
    let platform = |action: &str| {
        http.post(format!(
            "http://127.0.0.1:{p0}/api/platform/v1/tenants/charlie/{action}"
        ))
        .header("host", "admin.localhost")
        .bearer_auth(PLATFORM_TOKEN)
        .header("content-type", "application/json")
        .body("{}")
        .send()
    };
    let status = |port: u16, key: String| async move {
        api_get(port, "charlie.localhost", "/api/v1/projects", &key).await
    };
    let res = platform("suspend").await.expect("suspend");
    assert_eq!(res.status(), StatusCode::OK);
    let suspended = propagated("a suspension", &others, |port| {
        let answer = status(port, charlie_key.to_owned());
        async move {
            let (code, body) = answer.await;
            code == StatusCode::FORBIDDEN && body.contains("tenant_suspended")
        }
    })
    .await;
    let res = platform("resume").await.expect("resume");
    assert_eq!(res.status(), StatusCode::OK);
    let resumed = propagated("a resumption", &others, |port| {
        let answer = status(port, charlie_key.to_owned());
        async move { answer.await.0 == StatusCode::OK }
    })
    .await;

    let mut console = app.client("admin.localhost").on_router(over_http(p0));
    let res = console
        .server_fn::<SignIn>(&[("email", "root@platform.test"), ("password", PASSWORD)])
        .await;
    assert!(res.status.is_success(), "console sign-in: {}", res.text);
    let res = console
        .server_fn::<AssignPlan>(&[("slug", "charlie"), ("plan", "closed")])
        .await;
    assert!(res.status.is_success(), "plan: {}", res.text);
    let plan = propagated("a plan", &others, |port| {
        let answer = status(port, charlie_key.to_owned());
        async move {
            let (code, body) = answer.await;
            code == StatusCode::FORBIDDEN && body.contains("api_access")
        }
    })
    .await;

    let res = console
        .server_fn::<SaveFlag>(&[
            ("key", "new_board"),
            ("kind", "boolean"),
            ("default", "false"),
            ("value", "true"),
            ("allow", "alpha"),
        ])
        .await;
    assert!(res.status.is_success(), "flag: {}", res.text);
    let flag = propagated("a flag", &others, |port| {
        let key = alpha_key.to_owned();
        async move {
            let (_, body) = api_get(port, "alpha.localhost", "/api/v1/flags", &key).await;
            serde_json::from_str::<Value>(&body).is_ok_and(|v| v["flags"]["new_board"] == true)
        }
    })
    .await;

    let mut owner = app.client("alpha.localhost").on_router(over_http(p0));
    owner
        .post_json(
            "/api/v1/session",
            json!({"email": "owner@alpha.test", "password": PASSWORD}),
        )
        .await;
    let res = owner
        .server_fn::<SaveBranding>(&[
            ("display_name", "Alpha Everywhere"),
            ("primary_color", "#123456"),
            ("accent_color", "#654321"),
            ("logo_url", ""),
            ("login_text", ""),
        ])
        .await;
    assert!(res.status.is_success(), "branding: {}", res.text);
    let branding = propagated("a branding change", &others, |port| {
        let mut page = app.client("alpha.localhost").on_router(over_http(port));
        async move { page.get("/login").await.text.contains("Alpha Everywhere") }
    })
    .await;
    println!(
        "propagation from i0 to i1 and i2: suspension {suspended:?}, resumption {resumed:?}, \
         plan {plan:?}, flag {flag:?}, branding {branding:?}"
    );
}

/// Bravo's limit (`ratelimit.rs`: 20 a second, bursts of 20) holds across
/// the three instances: requests sent through the balancer, round robin.
async fn rate_limit_is_shared(front: u16, key: &str) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let (mut ok, mut refused) = (0u32, 0u32);
    let mut by = BTreeMap::<String, u32>::new();
    while started.elapsed() < Duration::from_millis(1500) {
        let (status, name) = through_as(&http, front, "bravo", key).await;
        match status {
            StatusCode::OK => {
                ok += 1;
                *by.entry(name).or_default() += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    let elapsed = started.elapsed();
    println!(
        "rate limit across instances: {ok} allowed ({by:?}), {refused} refused in {elapsed:?}"
    );
    assert!(refused > 0, "some requests were refused");
    assert_eq!(by.len(), 3, "all three instances served: {by:?}");
    assert!(
        ok <= most_allowed(elapsed),
        "{ok} allowed in {elapsed:?}: the instances kept separate buckets"
    );
}

/// A logo uploaded through i0 and an export archive made by whichever
/// instance ran the job are served by every instance; no instance's data
/// directory holds a file of the tenant's.
async fn files_live_in_object_storage(
    app: &TestApp,
    moto: &Moto,
    ports: [u16; 3],
    alpha_key: &str,
    instances: &[Instance],
) {
    let ctx = app.ctx("alpha").await;
    let mut owner = app.client("alpha.localhost").on_router(over_http(ports[0]));
    owner
        .post_json(
            "/api/v1/session",
            json!({"email": "owner@alpha.test", "password": PASSWORD}),
        )
        .await;
    let res = upload(&mut owner, "logo", &png(300, 100), false).await;
    assert!(res.status.is_success(), "upload on i0: {}", res.text);
    let mut logos = Vec::new();
    for port in ports {
        let res = app
            .client("alpha.localhost")
            .on_router(over_http(port))
            .get("/brand/logo.png")
            .await;
        assert_eq!(res.status, StatusCode::OK, "the logo on {port}");
        logos.push(res.bytes);
    }
    assert!(
        logos.windows(2).all(|w| w[0] == w[1]),
        "one logo everywhere"
    );

    let export = tenantry::exports::request(&app.engine, ctx.tenant(), "test")
        .await
        .expect("export requested");
    let started = Instant::now();
    loop {
        let list = tenantry::exports::list(&app.engine, ctx.tenant())
            .await
            .expect("exports");
        if list.iter().any(|e| e.id == export.id && e.state == "done") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the export ran: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let path = format!("/api/v1/exports/{}/archive", export.id);
    let mut archives = Vec::new();
    for port in ports {
        let res = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}{path}"))
            .header("host", "alpha.localhost")
            .bearer_auth(alpha_key)
            .send()
            .await
            .expect("answer");
        assert_eq!(res.status(), StatusCode::OK, "the archive on {port}");
        archives.push(res.bytes().await.expect("archive"));
    }
    assert!(
        archives.windows(2).all(|w| w[0] == w[1]),
        "one archive everywhere"
    );
    let tenant = ctx.id().to_string();
    assert!(
        moto.holds(&format!("tenants/{tenant}/exports/{}.tar", export.id))
            .await,
        "the archive is in the bucket"
    );
    for instance in instances {
        let held: Vec<String> = walk(instance.data_dir.path())
            .into_iter()
            .filter(|p| p.contains(&tenant))
            .collect();
        assert!(
            held.is_empty(),
            "{} keeps {held:?} on its disk",
            instance.name
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path.display().to_string());
        }
    }
    found
}

/// What one request of the load saw.
struct Outcome {
    write: Option<String>,
    status: Option<StatusCode>,
}

/// Writers create projects and readers list them through the balancer;
/// i1 is killed with SIGKILL a second in, restarted two seconds later, and
/// must serve again. Every write answered 201 is stored; every read is
/// answered 200; a write that failed was in flight on i1 when it died.
/// Answers (writes, reads).
async fn kill_one_under_load(
    app: &TestApp,
    balancer: &HaProxy,
    instances: &mut [Instance],
    key: &str,
) -> (usize, usize) {
    let front = balancer.port;
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for worker in 0..WRITERS + READERS {
        let (stop, key) = (stop.clone(), key.to_owned());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut seen = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                let url = format!("http://127.0.0.1:{front}/api/v1/projects");
                let (req, write) = if worker < WRITERS {
                    let name = format!("load {worker}-{n}");
                    let body = json!({ "name": name }).to_string();
                    let req = http
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body);
                    (req, Some(name))
                } else {
                    (http.get(url), None)
                };
                let sent = req
                    .header("host", "alpha.localhost")
                    .bearer_auth(&key)
                    .send()
                    .await;
                let status = match sent {
                    Ok(res) => {
                        let status = res.status();
                        res.bytes().await.ok().map(|_| status)
                    }
                    Err(_) => None,
                };
                seen.push(Outcome { write, status });
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    instances[1].kill_9();
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    instances[1].spawn();
    instances[1].ready().await;
    balancer.wait_up(&["i1"], Duration::from_secs(10)).await;
    let rejoined = killed.elapsed();
    // The load goes on over the restarted instance too.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Release);
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.expect("load task"));
    }

    let ctx = app.ctx("alpha").await;
    let db = ctx.read().await.expect("read");
    let stored: HashSet<String> = tenantry::product::projects::list(&db)
        .await
        .expect("projects")
        .into_iter()
        .map(|p| p.name)
        .collect();
    db.commit().await.expect("commit");
    let (mut writes, mut reads, mut failed_writes, mut failed_stored) = (0, 0, 0, 0);
    for outcome in &outcomes {
        match (&outcome.write, outcome.status) {
            (Some(name), Some(StatusCode::CREATED)) => {
                writes += 1;
                assert!(stored.contains(name), "an answered write was lost: {name}");
            }
            (Some(name), status) => {
                failed_writes += 1;
                assert!(
                    matches!(
                        status,
                        None | Some(StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE)
                    ),
                    "a write failed otherwise than by the kill: {status:?}"
                );
                if stored.contains(name) {
                    failed_stored += 1;
                }
            }
            (None, status) => {
                reads += 1;
                assert_eq!(status, Some(StatusCode::OK), "a read failed");
            }
        }
    }
    println!(
        "kill -9: {writes} writes answered and stored, {reads} reads answered; {failed_writes} \
         writes in flight on i1 failed ({failed_stored} of them committed before it died); \
         i1 back in the balancer {rejoined:?} after the kill"
    );
    assert!(
        failed_writes <= WRITERS,
        "{failed_writes} writes failed: more than were in flight"
    );
    assert!(writes > 0 && reads > 0, "the load ran");
    // The restarted instance serves again.
    let mut by = HashSet::new();
    for _ in 0..6 {
        let (_, served) = through(front, key).await;
        by.insert(served);
    }
    assert!(by.contains("i1"), "i1 rejoined: {by:?}");
    (writes, reads)
}

async fn through(front: u16, key: &str) -> (StatusCode, String) {
    through_as(&reqwest::Client::new(), front, "alpha", key).await
}

/// `GET /api/v1/projects` of tenant `slug` through the balancer with an API
/// key: the status, and the instance that answered.
async fn through_as(
    http: &reqwest::Client,
    front: u16,
    slug: &str,
    key: &str,
) -> (StatusCode, String) {
    let res = http
        .get(format!("http://127.0.0.1:{front}/api/v1/projects"))
        .header("host", format!("{slug}.localhost"))
        .bearer_auth(key)
        .send()
        .await
        .expect("answer");
    let served = res.headers()["x-served-by"]
        .to_str()
        .expect("name")
        .to_owned();
    (res.status(), served)
}

/// Each instance's log says when it started a periodic kind; across the
/// three, each kind started at least once (all were due at the first
/// start) and never twice within its period.
fn periodic_work_ran_once_per_period(instances: &[Instance], ran_for: Duration) {
    let mut starts: BTreeMap<String, Vec<(chrono::DateTime<chrono::FixedOffset>, u64, String)>> =
        BTreeMap::new();
    for instance in instances {
        let text = std::fs::read_to_string(&instance.log).expect("log");
        for line in text.lines() {
            let Ok(json) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if json["message"] != "periodic work started" {
                continue;
            }
            let at =
                chrono::DateTime::parse_from_rfc3339(json["timestamp"].as_str().expect("time"))
                    .expect("rfc3339");
            let every = json["every_secs"].as_u64().expect("every_secs");
            let work = json["work"].as_str().expect("work").to_owned();
            starts
                .entry(work)
                .or_default()
                .push((at, every, instance.name.clone()));
        }
    }
    let kinds = tenantry::platform::periodic_work().len();
    assert_eq!(starts.len(), kinds, "every kind ran: {:?}", starts.keys());
    for (work, runs) in &mut starts {
        runs.sort();
        for pair in runs.windows(2) {
            let gap = (pair[1].0 - pair[0].0).num_milliseconds();
            assert!(
                gap >= (pair[0].1 * 1000) as i64 - 100,
                "{work} ran twice in one period: {pair:?}"
            );
        }
    }
    let total: usize = starts.values().map(Vec::len).sum();
    println!(
        "periodic work over {ran_for:?} on three instances: {kinds} kinds, {total} runs in all"
    );
}
