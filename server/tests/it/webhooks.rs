//! Lifecycle events and webhooks: the outbox, in-process subscribers, signed
//! deliveries to real HTTP receivers, retries, resend, rotation, and who may
//! manage which endpoints.
//!
//! About 470 lines, one scenario per test: webhook scenarios against the
//! receiver the tests start, sharing its setup.

use crate::harness::{Client, TestApp};
use crate::on_both_backends;
use crate::receiver::{Received, Receiver};
use axum::http::StatusCode;
use std::sync::{Arc, Mutex};
use tenantry::branding::{self, BrandingInput};
use tenantry::catalog::tenants;
use tenantry::events::{dispatch, endpoints, outbox, signature, EventKind, LifecycleEvent, Owner};
use tenantry_app::features::console::api::{ResumeTenant, SuspendTenant};
use tenantry_app::features::webhooks::api::{
    CreateWebhook, ListWebhooks, ResendDelivery, RotateWebhookSecret, WebhookDeliveries,
};

on_both_backends!(
    lifecycle_changes_reach_subscribers_once_each_in_order_per_tenant,
    a_failed_transition_writes_no_event,
    signed_deliveries_reach_each_subscribed_endpoint_in_order_despite_a_failure,
    a_delivery_that_keeps_failing_is_marked_failed_and_a_resend_delivers_it,
    a_rotated_secret_and_the_previous_one_both_sign_during_the_overlap,
    endpoints_are_validated_and_only_their_owner_can_see_or_change_them,
);

/// Records what it is given; refuses the first event of one kind once.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(String, EventKind)>>,
    refuse_once: Mutex<Option<(String, EventKind)>>,
    refusals: Mutex<u32>,
}

#[async_trait::async_trait]
impl tenantry::events::Subscriber for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    async fn handle(&self, event: &LifecycleEvent) -> anyhow::Result<()> {
        let key = (event.slug.clone(), event.kind);
        let mut refuse = self.refuse_once.lock().expect("lock");
        if refuse.as_ref() == Some(&key) {
            *refuse = None;
            *self.refusals.lock().expect("lock") += 1;
            anyhow::bail!("recorder is briefly down");
        }
        self.seen.lock().expect("lock").push(key);
        Ok(())
    }
}

impl Recorder {
    fn kinds_of(&self, slug: &str) -> Vec<EventKind> {
        let seen = self.seen.lock().expect("lock");
        seen.iter()
            .filter(|(s, _)| s == slug)
            .map(|(_, k)| *k)
            .collect()
    }
}

/// Dispatches until nothing is left undispatched (retries included).
async fn drain(app: &TestApp) {
    for _ in 0..200 {
        dispatch::dispatch_pending(&app.engine)
            .await
            .expect("dispatch");
        let left = outbox::undispatched(&app.engine).await.expect("count");
        if left == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    panic!("events stayed undispatched");
}

async fn lifecycle_changes_reach_subscribers_once_each_in_order_per_tenant(app: TestApp) {
    let recorder = Arc::new(Recorder::default());
    app.engine.events().subscribe(recorder.clone());
    *recorder.refuse_once.lock().expect("lock") = Some(("alpha".into(), EventKind::Suspended));
    app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    tenants::suspend(&app.engine, "alpha", "test")
        .await
        .expect("suspend");
    tenants::resume(&app.engine, "alpha", "test")
        .await
        .expect("resume");
    tenants::suspend(&app.engine, "bravo", "test")
        .await
        .expect("suspend");
    let brand = BrandingInput {
        display_name: "Bravo Brand".into(),
        primary_color: "#112233".into(),
        accent_color: "#445566".into(),
        ..Default::default()
    };
    branding::update(&bravo, brand, "test")
        .await
        .expect("branding");
    tenants::delete(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("delete");
    drain(&app).await;

    use EventKind::*;
    // alpha's suspension was refused once: it was retried, and alpha's later
    // events waited for it; bravo's were not held up.
    assert_eq!(*recorder.refusals.lock().expect("lock"), 1);
    assert_eq!(
        recorder.kinds_of("alpha"),
        [Created, Activated, Suspended, Resumed, Deleted]
    );
    assert_eq!(
        recorder.kinds_of("bravo"),
        [Created, Activated, Suspended, BrandingChanged]
    );
    // Another pass delivers nothing twice.
    assert_eq!(
        dispatch::dispatch_pending(&app.engine)
            .await
            .expect("dispatch"),
        0
    );
    assert_eq!(recorder.seen.lock().expect("lock").len(), 9);
}

async fn a_failed_transition_writes_no_event(app: TestApp) {
    app.tenant("alpha").await;
    let count = || async {
        outbox::recent(&app.engine, None, 1000)
            .await
            .expect("events")
            .len()
    };
    let before = count().await;
    let err = tenants::resume(&app.engine, "alpha", "test")
        .await
        .expect_err("active");
    assert_eq!(err.code(), "invalid");
    assert!(tenants::suspend(&app.engine, "nobody", "test")
        .await
        .is_err());
    assert!(tenants::delete(&app.engine, "alpha", "wrong", "test")
        .await
        .is_err());
    assert_eq!(count().await, before, "refused transitions wrote events");
}

async fn create_endpoint(client: &mut Client, url: &str, events: &str) -> (String, String) {
    let res = client
        .server_fn::<CreateWebhook>(&[("url", url), ("description", "test"), ("events", events)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "create webhook: {}", res.text);
    let body = res.json();
    (
        body["endpoint"]["id"].as_str().expect("id").to_owned(),
        body["secret"].as_str().expect("secret").to_owned(),
    )
}

fn verify(received: &Received, secret: &str) -> Result<(), signature::SignatureError> {
    let now = chrono::Utc::now().timestamp();
    signature::verify(
        &received.header("webhook-signature"),
        secret,
        &received.body,
        now,
        300,
    )
}

fn of_tenant(received: &[Received], slug: &str) -> Vec<String> {
    received
        .iter()
        .filter(|r| r.json()["tenant"]["slug"] == slug)
        .map(Received::event_type)
        .collect()
}

async fn signed_deliveries_reach_each_subscribed_endpoint_in_order_despite_a_failure(app: TestApp) {
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    drain(&app).await; // creation events predate the endpoints
    let platform_rx = Receiver::start().await;
    let alpha_rx = Receiver::start().await;
    let mut admin = app.superadmin().await;
    let (platform_id, platform_secret) = create_endpoint(&mut admin, &platform_rx.url, "*").await;
    let mut alpha_owner = app.owner_client("alpha").await;
    let (_, alpha_secret) = create_endpoint(
        &mut alpha_owner,
        &alpha_rx.url,
        "tenant.suspended tenant.resumed",
    )
    .await;
    // The platform receiver fails the first delivery about alpha.
    platform_rx.refuse_first_about("alpha");
    let dispatcher = tokio::spawn(dispatch::run(app.engine.clone()));
    // A tenant's deliveries are its jobs.
    let _jobs = app.run_jobs();

    for (action, slug) in [
        ("suspend", "alpha"),
        ("resume", "alpha"),
        ("suspend", "bravo"),
    ] {
        let res = match action {
            "suspend" => admin.server_fn::<SuspendTenant>(&[("slug", slug)]).await,
            _ => admin.server_fn::<ResumeTenant>(&[("slug", slug)]).await,
        };
        assert_eq!(res.status, StatusCode::OK, "{action} {slug}: {}", res.text);
    }
    let got = platform_rx
        .wait_until("4 deliveries", |r| r.len() >= 4)
        .await;
    let alpha_got = alpha_rx.wait_until("2 deliveries", |r| r.len() >= 2).await;
    dispatcher.abort();

    // The failed first attempt was retried before alpha's next event went out.
    assert_eq!(
        of_tenant(&got, "alpha"),
        ["tenant.suspended", "tenant.suspended", "tenant.resumed"]
    );
    assert_eq!(of_tenant(&got, "bravo"), ["tenant.suspended"]);
    // The tenant's own endpoint got its events only, in order, without the
    // platform's operator.
    assert_eq!(
        alpha_got
            .iter()
            .map(Received::event_type)
            .collect::<Vec<_>>(),
        ["tenant.suspended", "tenant.resumed"]
    );
    for r in &got {
        assert_eq!(verify(r, &platform_secret), Ok(()));
        assert_eq!(
            verify(r, &alpha_secret),
            Err(signature::SignatureError::Mismatch)
        );
        assert_eq!(r.json()["actor"], "superadmin:root@platform.test");
        assert_eq!(r.header("webhook-event-type"), r.event_type());
    }
    for r in &alpha_got {
        assert_eq!(verify(r, &alpha_secret), Ok(()));
        assert!(r.json().get("actor").is_none(), "actor leaked to a tenant");
    }
    // A tampered body does not verify.
    let mut tampered = got[1].clone();
    tampered.body = tampered.body.slice(1..);
    assert!(verify(&tampered, &platform_secret).is_err());

    // The delivery log shows the retry and the receiver's answer.
    let res = admin
        .server_fn::<WebhookDeliveries>(&[("endpoint_id", platform_id.as_str())])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let log = res.json();
    let log = log["rows"].as_array().expect("log");
    assert_eq!(log.len(), 3);
    let first = log
        .iter()
        .find(|d| d["event_type"] == "tenant.suspended" && d["tenant_slug"] == "alpha")
        .expect("alpha suspension");
    assert_eq!(first["status"], "delivered");
    assert_eq!(first["attempts"], 2);
    assert_eq!(first["last_status"], 200);
    assert_eq!(first["last_response"], "thanks");
}

async fn a_delivery_that_keeps_failing_is_marked_failed_and_a_resend_delivers_it(app: TestApp) {
    let app = app
        .with_router_settings(&[("webhook_max_attempts", "2")])
        .await;
    app.tenant("alpha").await;
    drain(&app).await;
    let rx = Receiver::start().await;
    let mut admin = app.superadmin().await;
    let (id, _) = create_endpoint(&mut admin, &rx.url, "tenant.suspended").await;
    rx.answer_next(&[StatusCode::BAD_GATEWAY, StatusCode::SERVICE_UNAVAILABLE]);
    let dispatcher = tokio::spawn(dispatch::run(app.engine.clone()));
    // A tenant's deliveries are its jobs.
    let _jobs = app.run_jobs();
    tenants::suspend(&app.engine, "alpha", "test")
        .await
        .expect("suspend");
    app.engine.events().wake();
    rx.wait_until("2 attempts", |r| r.len() >= 2).await;

    let log = loop {
        let res = admin
            .server_fn::<WebhookDeliveries>(&[("endpoint_id", id.as_str())])
            .await;
        let log = res.json()["rows"].clone();
        if log[0]["status"] != "pending" {
            break log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["last_status"], 503);
    // The platform's own endpoint: counted as no tenant's, once per outcome.
    let metrics = app.engine.observer().render();
    for outcome in ["retried", "failed"] {
        let labels = [("outcome", outcome), ("tenant", "none")];
        let counted =
            crate::observability::sample(&metrics, "tenantry_webhook_deliveries_total", &labels);
        assert_eq!(counted, 1.0, "{outcome}: {metrics}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 2, "no attempt after giving up");

    let delivery = log[0]["id"].as_str().expect("id");
    let res = admin
        .server_fn::<ResendDelivery>(&[("delivery_id", delivery)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let got = rx.wait_until("the resend", |r| r.len() >= 3).await;
    dispatcher.abort();
    assert_eq!(
        got[2].header("webhook-event-id"),
        got[0].header("webhook-event-id")
    );
    let audit = tenantry::audit::recent(&app.engine, 20)
        .await
        .expect("audit");
    assert!(audit.iter().any(|e| e.action == "webhook.resent"));
}

async fn a_rotated_secret_and_the_previous_one_both_sign_during_the_overlap(app: TestApp) {
    app.tenant("alpha").await;
    drain(&app).await;
    let rx = Receiver::start().await;
    let mut owner = app.owner_client("alpha").await;
    let (id, old) = create_endpoint(&mut owner, &rx.url, "*").await;
    let res = owner
        .server_fn::<RotateWebhookSecret>(&[("endpoint_id", id.as_str())])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let new = res.json()["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new, old);
    assert!(res.json()["endpoint"]["previous_secret_until"].is_string());
    let listed = owner.server_fn::<ListWebhooks>(&[]).await.text;
    assert!(
        !listed.contains(&new) && !listed.contains(&old),
        "list shows secrets"
    );

    let dispatcher = tokio::spawn(dispatch::run(app.engine.clone()));
    // A tenant's deliveries are its jobs.
    let _jobs = app.run_jobs();
    let ctx = app.ctx("alpha").await;
    let brand = BrandingInput {
        display_name: "Alpha Brand".into(),
        primary_color: "#112233".into(),
        accent_color: "#445566".into(),
        ..Default::default()
    };
    branding::update(&ctx, brand, "test")
        .await
        .expect("branding");
    let got = rx
        .wait_until("the branding change", |r| !r.is_empty())
        .await;
    dispatcher.abort();
    assert_eq!(got[0].event_type(), "branding.changed");
    assert_eq!(got[0].header("webhook-signature").matches("v1=").count(), 2);
    assert_eq!(verify(&got[0], &new), Ok(()));
    assert_eq!(verify(&got[0], &old), Ok(()));
}

async fn endpoints_are_validated_and_only_their_owner_can_see_or_change_them(app: TestApp) {
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let mut owner = app.owner_client("alpha").await;
    for (url, events, field, reason) in [
        ("", "*", "url", "is required"),
        ("not a url", "*", "url", "is not a valid URL"),
        ("ftp://example.com/x", "*", "url", "must be an http(s) URL"),
        (
            "https://user:pw@example.com/x",
            "*",
            "url",
            "must not contain credentials",
        ),
        (
            "https://example.com/x",
            "tenant.exploded",
            "events",
            "unknown event",
        ),
    ] {
        let res = owner
            .server_fn::<CreateWebhook>(&[("url", url), ("description", ""), ("events", events)])
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            res.text
        );
        assert_eq!(res.json()["field"], field, "{url}");
        assert!(res.text.contains(reason), "{url}: {}", res.text);
    }
    assert!(endpoints::list(&app.engine, Owner::of(&alpha))
        .await
        .expect("list")
        .is_empty());

    // Production rules: https to public addresses only.
    let strict = app
        .with_settings(&[("webhook_allow_insecure_targets", "false")])
        .await;
    for (url, reason) in [
        ("http://example.com/hook", "must use https"),
        ("https://127.0.0.1/hook", "private address"),
        ("https://10.1.2.3/hook", "private address"),
        ("https://[::1]/hook", "private address"),
        ("https://hooks.localhost/x", "private address"),
        // IPv6 forms that carry a private IPv4 address, and IPv4 written
        // as one number: each one is the same private address.
        ("https://[::127.0.0.1]/hook", "private address"),
        ("https://[::ffff:0:7f00:1]/hook", "private address"),
        ("https://[64:ff9b::169.254.169.254]/hook", "private address"),
        ("https://[2002:7f00:1::]/hook", "private address"),
        (
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
            "private address",
        ),
        ("https://2130706433/hook", "private address"),
    ] {
        let err = endpoints::create(&strict, Owner::of(&alpha), url, "", "*", "test")
            .await
            .expect_err(url);
        assert!(err.to_string().contains(reason), "{url}: {err}");
    }

    // Alpha's endpoint exists for alpha only.
    let created = endpoints::create(
        &app.engine,
        Owner::of(&alpha),
        "https://example.com/alpha",
        "",
        "*",
        "test",
    )
    .await
    .expect("create");
    let id = created.endpoint.id;
    assert!(endpoints::list(&app.engine, Owner::of(&bravo))
        .await
        .expect("list")
        .is_empty());
    assert!(endpoints::list(&app.engine, Owner::Platform)
        .await
        .expect("list")
        .is_empty());
    let err = endpoints::rotate_secret(&app.engine, Owner::of(&bravo), id, "test")
        .await
        .expect_err("bravo rotates alpha's");
    assert_eq!(err.code(), "not_found");
    let err = endpoints::remove(&app.engine, Owner::Platform, id, "test")
        .await
        .expect_err("the platform list is not the tenant's");
    assert_eq!(err.code(), "not_found");
    assert_eq!(
        endpoints::list(&app.engine, Owner::of(&alpha))
            .await
            .expect("list")
            .len(),
        1
    );
}
