//! Issue 20: the real server binary stopped with SIGTERM under load. Every
//! request it accepted is answered (as many projects exist as creations
//! were answered, each with success), every API call it counted is written
//! as usage before it exits, and it exits cleanly within the grace period.

use crate::harness::TestApp;
use crate::ingest_faults::start_server;
use crate::peer::{free_port, wait_listening};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenantry::billing::period::Period;
use tenantry::billing::usage;

const SENDERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_accepted_request_and_writes_every_api_call() {
    let app = TestApp::postgres().await;
    let ctx = app.tenant("alpha").await;
    let key = app.api_key("alpha", "member").await;
    // What this process counted while setting up is written now, so that
    // what follows is the server binary's alone.
    app.engine.api_calls().flush(&app.engine).await;
    let api_calls_before = api_calls(&app, &ctx).await;

    let port = free_port();
    let mut server = start_server(&app.settings, port);
    wait_listening(port, "the server").await;

    let answered = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (answered, key) = (answered.clone(), key.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for n in 0.. {
                    let sent = client
                        .post(format!("http://127.0.0.1:{port}/api/v1/projects"))
                        .header("host", "alpha.localhost")
                        .bearer_auth(&key)
                        .header("content-type", "application/json")
                        .body(
                            serde_json::json!({ "name": format!("load {sender}-{n}") }).to_string(),
                        )
                        .send()
                        .await;
                    // Not accepted (the listener is closed, or the
                    // connection was closed before the request was read):
                    // this sender is done.
                    let Ok(res) = sent else { break };
                    let status = res.status();
                    let body = res
                        .text()
                        .await
                        .expect("an accepted request's whole answer");
                    assert!(status.is_success(), "{status}: {body}");
                    answered.fetch_add(1, Ordering::AcqRel);
                }
            })
        })
        .collect();

    // Under load for a moment, then SIGTERM.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before_signal = answered.load(Ordering::Acquire);
    assert!(before_signal > 0, "the load reached the server");
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    for sender in senders {
        sender.await.expect("every answer was a whole success");
    }
    let exit = exited_within(&mut server, Duration::from_secs(15));
    assert!(
        exit.is_some_and(|status| status.success()),
        "the server exits cleanly after SIGTERM: {exit:?}"
    );

    let answered = answered.load(Ordering::Acquire);
    let db = ctx.read().await.expect("read");
    let projects = tenantry::product::projects::list(&db)
        .await
        .expect("projects")
        .into_iter()
        .filter(|p| p.name.starts_with("load "))
        .count();
    db.commit().await.expect("commit");
    println!("{answered} creations answered ({before_signal} before SIGTERM), {projects} stored");
    assert_eq!(
        projects, answered,
        "a creation was carried out but its answer lost, or answered but not stored"
    );
    assert_eq!(
        api_calls(&app, &ctx).await - api_calls_before,
        answered as i64,
        "every API call the server counted was written before it exited"
    );
}

async fn api_calls(app: &TestApp, ctx: &tenantry::tenancy::TenantCtx) -> i64 {
    let policy = app.engine.policy().await.expect("policy");
    let period = Period::containing(chrono::Utc::now());
    let db = ctx.read().await.expect("db");
    let meter = &policy.meters[tenantry::plans::meters::API_CALLS];
    let total = usage::total(&db, meter, period.start, period.end)
        .await
        .expect("total");
    db.commit().await.expect("commit");
    total
}

fn exited_within(
    server: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = server.try_wait().expect("wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill().ok();
    server.wait().ok();
    None
}
