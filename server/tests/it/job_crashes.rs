//! `kill -9` of the server binary in the middle of a mail job and of a
//! webhook job: after a restart the job runs again, the mail is sent once
//! and the webhook is delivered again with the same event id. (The export's
//! crash test is in `jobs.rs`.)

use crate::harness::TestApp;
use crate::ingest_faults::start_server_with;
use crate::peer::{free_port, wait_listening};
use crate::receiver::Receiver;
use crate::smtp_sink::SmtpSink;
use std::process::Child;
use std::time::Duration;
use tenantry::events::endpoints::{self, Owner};
use tenantry::jobs::{self, TenantJob};
use tenantry::tenancy::TenantCtx;

/// The server binary, killed (SIGKILL) when dropped, so a failing test
/// leaves no server behind.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server binary on `port` with short job leases, and waits
/// until it listens.
async fn serve(app: &TestApp, port: u16, more: &[(&str, &str)]) -> Served {
    let mut env = vec![
        ("TENANTRY_JOB_LEASE_SECS", "1"),
        ("TENANTRY_JOB_POLL_MS", "50"),
        ("TENANTRY_WEBHOOK_POLL_MS", "50"),
        // The SMTP sink and the webhook receiver listen on loopback.
        ("TENANTRY_OUTBOUND_ALLOW_PRIVATE_SERVICES", "true"),
    ];
    env.extend_from_slice(more);
    let server = Served(start_server_with(&app.settings, port, &env));
    wait_listening(port, "the server").await;
    server
}

/// `kill -9`: the process ends at once, mid-job.
fn kill_9(server: Served) {
    drop(server);
}

/// Waits (up to `secs`) until `done` holds.
async fn until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    for _ in 0..secs * 20 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within {secs} s");
}

/// The tenant's only job of kind `J`.
async fn job_of<J: TenantJob>(ctx: &TenantCtx) -> jobs::JobView {
    let all = jobs::list(ctx, 50).await.expect("jobs");
    let mut of_kind: Vec<_> = all.into_iter().filter(|j| j.kind == J::KIND).collect();
    assert_eq!(of_kind.len(), 1, "one {} job: {of_kind:?}", J::KIND);
    of_kind.remove(0)
}

/// The tenant's jobs of kind `J` once every one of them is done (up to
/// 60 s): a job ends a moment after the peer saw its work.
async fn finished_runs<J: TenantJob>(ctx: &TenantCtx) -> Vec<jobs::JobView> {
    let mut runs = Vec::new();
    for _ in 0..1200 {
        let all = jobs::list(ctx, 50).await.expect("jobs");
        runs = all.into_iter().filter(|j| j.kind == J::KIND).collect();
        if runs.iter().all(|j| j.state == jobs::DONE) {
            return runs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the {} jobs did not all finish: {runs:?}", J::KIND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_interrupted_by_kill_9_is_sent_once_after_the_restart() {
    use tenantry::mail::outbox::{self, SendMail};
    let sink = SmtpSink::stalling_first().await;
    let app = TestApp::postgres()
        .await
        .with_router_settings(&[("smtp_url", sink.url.as_str())])
        .await;
    let alpha = app.tenant("alpha").await;
    let port = free_port();
    let smtp = [("TENANTRY_SMTP_URL", sink.url.as_str())];
    let server = serve(&app, port, &smtp).await;

    // The invitation's mail and its job are written by this process; the
    // server's runner takes the job and the sink holds its data unanswered.
    let mut owner = app.owner_client("alpha").await;
    let res = owner
        .server_fn::<tenantry_app::features::invitations::api::InviteMember>(&[
            ("email", "once@example.com"),
            ("role", "member"),
        ])
        .await;
    assert_eq!(res.status, axum::http::StatusCode::OK, "{}", res.text);
    until("the mail's data reaching the sink", 60, || sink.stalled()).await;
    kill_9(server);
    let message = outbox::recent(&app.engine, 10).await.expect("mail");
    assert_eq!(message[0].state, outbox::QUEUED, "not sent when killed");
    assert!(sink.received().is_empty(), "the sink accepted nothing yet");

    let server = serve(&app, port, &smtp).await;
    until("the mail delivered after the restart", 60, || {
        !sink.received().is_empty()
    })
    .await;
    // Time for a second send, if there were one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    kill_9(server);
    let received = sink.received();
    assert_eq!(received.len(), 1, "sent once: {received:?}");
    assert_eq!(received[0].to, "once@example.com");
    let message = outbox::recent(&app.engine, 10).await.expect("mail");
    assert_eq!(message[0].state, outbox::SENT);
    let job = job_of::<SendMail>(&alpha).await;
    assert_eq!(job.state, jobs::DONE);
    assert_eq!(job.attempts, 2, "run again after the kill: {job:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_interrupted_by_kill_9_is_delivered_again_with_the_same_event_id() {
    use tenantry::events::delivery::DeliverWebhooks;
    let app = TestApp::postgres().await;
    let alpha = app.tenant("alpha").await;
    let receiver = Receiver::start().await;
    endpoints::create(
        &app.engine,
        Owner::of(&alpha),
        &receiver.url,
        "crash test",
        "tenant.suspended",
        "test",
    )
    .await
    .expect("endpoint");
    receiver.hold_next();
    let port = free_port();
    let webhooks = [
        ("TENANTRY_WEBHOOK_ALLOW_INSECURE_TARGETS", "true"),
        // A delivery's lease is its timeout and 5 s.
        ("TENANTRY_WEBHOOK_TIMEOUT_SECS", "3"),
    ];
    let server = serve(&app, port, &webhooks).await;
    tenantry::catalog::tenants::suspend(&app.engine, "alpha", "test")
        .await
        .expect("suspend");
    let first = receiver
        .wait_until("the held delivery", |r| !r.is_empty())
        .await;
    kill_9(server);

    let server = serve(&app, port, &webhooks).await;
    receiver
        .wait_until("the delivery again", |r| r.len() >= 2)
        .await;
    // The run that delivered it still records the answer and finishes; the
    // server stays up until it has, so a second send would be seen too.
    let runs = finished_runs::<DeliverWebhooks>(&alpha).await;
    kill_9(server);
    let got = receiver.received();
    let event_id = first[0].header("Webhook-Event-Id");
    assert!(!event_id.is_empty());
    assert_eq!(
        got[1].header("Webhook-Event-Id"),
        event_id,
        "the same event"
    );
    assert_eq!(got[1].event_type(), "tenant.suspended");
    assert_eq!(got.len(), 2, "delivered, then nothing more: {}", got.len());
    // The event's job ran again after the kill; it left a follow-up for the
    // delivery's lease to run out, which delivered it.
    assert!(runs.iter().any(|j| j.attempts == 2), "run again: {runs:?}");
}
