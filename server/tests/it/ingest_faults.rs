//! Durability of usage ingest: N events sent in batches, each batch retried
//! until it is acknowledged, while the real server binary is killed with
//! SIGKILL and restarted and Postgres drops its connections. Afterwards the
//! stored aggregate is exactly N: nothing acknowledged was lost, nothing
//! retried was counted twice.

use crate::harness::TestApp;
use crate::peer::{free_port, wait_listening};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tenantry::billing::period::Period;
use tenantry::billing::usage;
use tenantry::plans::meters::{self, MeterInput};

const EVENTS: usize = 5000;
const BATCH: usize = 50;

/// The real server binary on the test's PostgreSQL database, on `port`.
pub(crate) fn start_server(s: &tenantry::config::Settings, port: u16) -> Child {
    start_server_with(s, port, &[])
}

/// [`start_server`] with more environment (`TENANTRY_…` settings).
pub(crate) fn start_server_with(
    s: &tenantry::config::Settings,
    port: u16,
    env: &[(&str, &str)],
) -> Child {
    server_command(s, port)
        .envs(env.iter().copied())
        .spawn()
        .expect("server starts")
}

/// The real server binary's command on the test's PostgreSQL database, on
/// `port`, quiet; environment added to it overrides these settings.
pub(crate) fn server_command(s: &tenantry::config::Settings, port: u16) -> Command {
    let url = |u: &Option<secrecy::SecretString>| {
        u.as_ref().expect("postgres").expose_secret().to_owned()
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    command
        .arg("serve")
        // No units made ahead: these servers test other things, and the
        // DDL would only slow the machine (`signup.rs` tests the refill).
        .env("TENANTRY_SIGNUP__WARM_UNITS", "0")
        .env("TENANTRY_DATABASE_URL", url(&s.database_url))
        .env("TENANTRY_OWNER_DATABASE_URL", url(&s.owner_database_url))
        .env("TENANTRY_TENANT_DATABASE_PREFIX", &s.tenant_database_prefix)
        .env("TENANTRY_DATA_DIR", s.data_dir.display().to_string())
        .env("TENANTRY_LISTEN", format!("127.0.0.1:{port}"))
        .env("TENANTRY_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // The same key-encryption key as the test's engine: both open the
    // tenants' data keys (`tenancy::keys`).
    if let Some(key) = &s.secret_key {
        command.env("TENANTRY_SECRET_KEY", key.expose_secret());
    }
    command
}

/// Kills the server this many times (it must be up again before the next).
const KILLS: usize = 8;

/// Sends one batch until the server acknowledges every event in it (as new
/// or as already stored). Returns how many attempts failed on the way.
async fn send_until_acknowledged(
    client: &reqwest::Client,
    port: u16,
    key: &str,
    batch: &[Value],
) -> usize {
    let mut failures = 0;
    loop {
        let sent = client
            .post(format!("http://127.0.0.1:{port}/api/v1/usage"))
            .header("host", "alpha.localhost")
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(json!({ "events": batch }).to_string())
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if let Ok(res) = sent {
            let ok = res.status().is_success();
            // A body cut off by the kill is an unanswered request: retried.
            let body = res
                .text()
                .await
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            if let (true, Some(body)) = (ok, body) {
                let acknowledged = body["ingest"]["accepted"].as_u64().unwrap_or(0)
                    + body["ingest"]["duplicates"].as_u64().unwrap_or(0);
                assert_eq!(body["ingest"]["rejected"], json!([]), "{body}");
                assert_eq!(acknowledged as usize, batch.len(), "{body}");
                return failures;
            }
        }
        failures += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_usage_event_is_lost_or_counted_twice_when_the_server_is_killed_mid_ingest() {
    let app = TestApp::postgres().await;
    let ctx = app.tenant("alpha").await;
    for (key, aggregation) in [("fault_sum", "sum"), ("fault_count", "count")] {
        let input = MeterInput {
            key: key.into(),
            name: key.into(),
            aggregation: aggregation.into(),
            ..Default::default()
        };
        meters::save(&app.engine, &input, "test")
            .await
            .expect("meter");
    }
    let key = app.api_key("alpha", "member").await;
    let port = free_port();
    let server = Arc::new(std::sync::Mutex::new(start_server(&app.settings, port)));
    wait_listening(port, "the server").await;

    // The chaos: SIGKILL and restart the server every few hundred
    // milliseconds once it is up again, and between kills have Postgres drop
    // every connection, until the sender is done.
    let done = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicUsize::new(0));
    let chaos = {
        let (server, done, kills) = (server.clone(), done.clone(), kills.clone());
        let database = app.pg_database.clone().expect("postgres");
        let settings = app.settings.clone();
        tokio::spawn(async move {
            let mut round = 0u64;
            while !done.load(Ordering::Acquire) && kills.load(Ordering::Acquire) < KILLS {
                tokio::time::sleep(Duration::from_millis(200 + (round * 137) % 300)).await;
                round += 1;
                if round.is_multiple_of(3) {
                    crate::harness::pg_admin(&format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{database}' AND pid <> pg_backend_pid()"
                    ))
                    .await;
                    continue;
                }
                {
                    let mut child = server.lock().expect("server handle");
                    child.kill().expect("SIGKILL");
                    child.wait().expect("reaped");
                    kills.fetch_add(1, Ordering::AcqRel);
                    *child = start_server(&settings, port);
                }
                wait_listening(port, "the server").await;
            }
            server
        })
    };

    let client = reqwest::Client::new();
    let mut failures = 0;
    for (n, chunk) in (0..EVENTS).collect::<Vec<_>>().chunks(BATCH).enumerate() {
        let batch: Vec<Value> = chunk
            .iter()
            .flat_map(|i| {
                [
                    json!({"id": format!("s-{i}"), "meter": "fault_sum", "quantity": 1}),
                    json!({"id": format!("c-{i}"), "meter": "fault_count"}),
                ]
            })
            .collect();
        failures += send_until_acknowledged(&client, port, &key, &batch).await;
        // Every so often resend an acknowledged batch, as a client that
        // never saw the answer would.
        if n % 5 == 0 {
            failures += send_until_acknowledged(&client, port, &key, &batch).await;
        }
        // Paced like a steady sender, so that the kills land mid-stream.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    done.store(true, Ordering::Release);
    let server = chaos.await.expect("chaos task");
    {
        let mut child = server.lock().expect("server handle");
        child.kill().ok();
        child.wait().ok();
    }

    assert!(
        kills.load(Ordering::Acquire) >= 3,
        "the server was killed only {} times",
        kills.load(Ordering::Acquire)
    );
    assert!(
        failures > 0,
        "no request ever failed: the faults did not hit ingest"
    );
    eprintln!(
        "{} kills, {failures} failed attempts, all retried",
        kills.load(Ordering::Acquire)
    );
    let policy = app.engine.policy().await.expect("policy");
    let period = Period::containing(chrono::Utc::now());
    let db = ctx.read().await.expect("db");
    for meter in ["fault_sum", "fault_count"] {
        let total = usage::total(&db, &policy.meters[meter], period.start, period.end)
            .await
            .expect("total");
        assert_eq!(
            total, EVENTS as i64,
            "{meter} after {failures} failed attempts"
        );
    }
}
