//! Billing: usage ingest (per-event errors, idempotent retries, aggregates,
//! isolation), the invoice preview of a hybrid plan with prorated seats,
//! frozen final invoices consuming credit, and Stripe webhooks (signature,
//! replay, order, grace period).
//!
//! About 600 lines, one scenario per test: billing scenarios end to end,
//! sharing the fixtures at the top.

use crate::harness::{Client, TestApp, PASSWORD, STRIPE_WEBHOOK_SECRET};
use crate::on_both_backends;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set, Statement};
use serde_json::{json, Value};
use tenantry::billing::period::Period;
use tenantry::billing::{accounts, invoices};
use tenantry::entities::catalog::plan_assignment;
use tenantry::events::signature::sign;
use tenantry::plans::meters::{self, MeterInput};
use tenantry::plans::store::{self, PlanInput};
use tenantry::tenancy::TenantState;

on_both_backends!(
    usage_is_counted_once_per_id_with_each_bad_event_named,
    a_hybrid_plan_previews_its_fee_usage_over_the_allowance_and_prorated_seats,
    final_invoices_are_frozen_written_once_and_consume_credit,
    stripe_webhooks_are_verified_applied_once_and_never_undone_by_older_events,
    the_platform_records_seats_api_calls_and_storage_as_usage,
    api_calls_of_a_tenant_that_no_longer_exists_are_dropped_not_retried_forever,
);

async fn api_calls_of_a_tenant_that_no_longer_exists_are_dropped_not_retried_forever(app: TestApp) {
    let alpha = app.tenant("alpha").await;
    let gone = tenantry::tenancy::TenantId::new();
    let calls = app.engine.api_calls();
    calls.count(alpha.id());
    calls.count(gone);
    calls.count(gone);
    calls.flush(&app.engine).await;
    assert_eq!(calls.pending(alpha.id()), 0, "written");
    assert_eq!(
        calls.pending(gone),
        0,
        "dropped, not kept for the next flush"
    );
}

/// The past-due notice a page of `tenant` shows now (its record read
/// afresh from the catalog, as after any change of its account).
pub(crate) async fn past_due_notice(
    app: &TestApp,
    tenant: tenantry::tenancy::TenantId,
) -> Option<String> {
    let record = app
        .engine
        .record_by_id(tenant)
        .await
        .expect("record")
        .expect("tenant");
    accounts::notice(&app.engine, &record)
}

pub(crate) async fn define_meters(app: &TestApp) {
    for input in [
        MeterInput {
            key: "emails".into(),
            name: "Emails".into(),
            unit: "emails".into(),
            aggregation: "sum".into(),
            ..Default::default()
        },
        MeterInput {
            key: "eu_users".into(),
            name: "EU users".into(),
            aggregation: "unique_count".into(),
            property: "user".into(),
            filters: "region=eu".into(),
            ..Default::default()
        },
    ] {
        meters::save(&app.engine, &input, "test")
            .await
            .expect("meter");
    }
}

pub(crate) async fn hybrid_plan(app: &TestApp) {
    let input = PlanInput {
        key: "hybrid".into(),
        name: "Hybrid".into(),
        tier: "hybrid".into(),
        entitlements: [("api_access".to_owned(), "true".to_owned())].into(),
        prices: r#"[
            {"key":"base","name":"Base fee","type":"flat","amount":5000,"currency":"usd"},
            {"key":"seats","name":"Seats","type":"per_seat","unit_amount":1000,"included":1,"currency":"usd"},
            {"key":"emails","name":"Emails","type":"usage","meter":"emails","model":"per_unit","unit_amount":2,"included":100,"currency":"usd"}
        ]"#
        .into(),
        ..Default::default()
    };
    store::save(&app.engine, &input, "test")
        .await
        .expect("plan");
}

/// A member added the way the members page adds one.
pub(crate) async fn add_member(ctx: &tenantry::tenancy::TenantCtx, email: &str) {
    let db = ctx.db().await.expect("db");
    let new = tenantry::identity::members::NewMember::parse(email, "Second", PASSWORD, "member")
        .expect("member");
    tenantry::identity::members::create(&db, new)
        .await
        .expect("created");
    db.commit().await.expect("commit");
}

pub(crate) async fn send(client: &mut Client, events: Value) -> (StatusCode, Value) {
    let res = client
        .post_json("/api/v1/usage", json!({ "events": events }))
        .await;
    let body = if res.text.is_empty() {
        Value::Null
    } else {
        res.json()
    };
    (res.status, body)
}

fn meter<'a>(usage: &'a Value, key: &str) -> &'a Value {
    usage["usage"]["meters"]
        .as_array()
        .expect("meters")
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("meter {key} in {usage}"))
}

async fn usage_is_counted_once_per_id_with_each_bad_event_named(app: TestApp) {
    define_meters(&app).await;
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let mut alpha = app.bearer_client("alpha.localhost", &app.api_key("alpha", "member").await);
    let now = Utc::now();
    let batch = json!([
        {"id": "e1", "meter": "emails", "quantity": 5},
        {"id": "e2", "meter": "emails", "quantity": 7, "timestamp": (now - Duration::hours(1)).to_rfc3339()},
        {"id": "u1", "meter": "eu_users", "properties": {"user": "ann", "region": "eu"}},
        {"id": "u2", "meter": "eu_users", "properties": {"user": "ann", "region": "eu"}},
        {"id": "u3", "meter": "eu_users", "properties": {"user": "bob", "region": "eu"}},
        {"id": "u4", "meter": "eu_users", "properties": {"user": "cy", "region": "us"}},
        {"id": "bad1", "meter": "emails", "quantity": -3},
        {"id": "bad2", "meter": "nope"},
        {"id": "bad3", "meter": "emails", "timestamp": (now + Duration::hours(2)).to_rfc3339()},
        {"id": "bad4", "meter": "seats", "quantity": 99},
    ]);
    let (status, body) = send(&mut alpha, batch.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ingest"]["accepted"], 6, "{body}");
    let rejected: Vec<(u64, &str)> = body["ingest"]["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().expect("present"),
                r["field"].as_str().expect("present"),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (6, "quantity"),
            (7, "meter"),
            (8, "timestamp"),
            (9, "meter")
        ]
    );

    // The whole batch again (a client retrying after a timeout): nothing new.
    let (_, again) = send(&mut alpha, batch).await;
    assert_eq!(
        (
            again["ingest"]["accepted"].clone(),
            again["ingest"]["duplicates"].clone()
        ),
        (json!(0), json!(6))
    );

    // Bravo's events never reach alpha's totals.
    let mut bravo = app.bearer_client("bravo.localhost", &app.api_key("bravo", "member").await);
    let (status, _) = send(
        &mut bravo,
        json!([{"id": "e1", "meter": "emails", "quantity": 1000}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let usage = alpha.get("/api/v1/usage").await.json();
    assert_eq!(meter(&usage, "emails")["total"], 12, "{usage}");
    assert_eq!(meter(&usage, "eu_users")["total"], 2, "{usage}");
    let today = tenantry::billing::period::day_of(now);
    let daily = meter(&usage, "emails")["daily"]
        .as_array()
        .expect("daily")
        .clone();
    assert_eq!(daily.len(), Period::containing(now).days().len());
    let todays: i64 = daily
        .iter()
        .filter(|d| d[0] == today)
        .map(|d| d[1].as_i64().expect("present"))
        .sum();
    assert!(todays == 12 || todays == 5, "today's emails: {todays}");

    // Malformed batches are refused whole, naming the field.
    let (status, body) = send(&mut alpha, json!([])).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("events")),
        "{body}"
    );
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"id": format!("x{i}"), "meter": "emails"}))
        .collect();
    let (status, _) = send(&mut alpha, Value::Array(too_many)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A viewer's key may read usage but not send it.
    let mut viewer = app.bearer_client("alpha.localhost", &app.api_key("alpha", "viewer").await);
    let (status, _) = send(&mut viewer, json!([{"id": "v1", "meter": "emails"}])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(viewer.get("/api/v1/usage").await.status, StatusCode::OK);

    // The console's CSV of alpha's usage this period: alpha's events only,
    // each meter by day, adding up to the same totals.
    let mut admin = app.superadmin().await;
    let csv = admin.get("/console/tenants/alpha/usage.csv").await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    let mut lines = csv.text.lines();
    assert_eq!(lines.next(), Some("tenant,period,meter,unit,day,quantity"));
    let emails: i64 = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|cells| cells[0] == "alpha" && cells[2] == "emails")
        .map(|cells| cells[5].parse::<i64>().expect("quantity"))
        .sum();
    assert_eq!(emails, 12, "{}", csv.text);
    let label = Period::containing(now).label();
    let named = admin
        .get(&format!("/console/tenants/alpha/usage.csv?period={label}"))
        .await;
    assert_eq!(named.text, csv.text);
    let bad = admin
        .get("/console/tenants/alpha/usage.csv?period=May")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let unknown = admin.get("/console/tenants/nosuch/usage.csv").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Superadmins only: a tenant's owner is nobody on the console, and the
    // path is nothing on a tenant's host.
    let owner = app.owner_client("alpha").await;
    let mut carried = owner.on_host("admin.localhost");
    assert_eq!(
        carried.get("/console/tenants/alpha/usage.csv").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut on_tenant = app.owner_client("alpha").await;
    assert_eq!(
        on_tenant
            .get("/console/tenants/alpha/usage.csv")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn a_hybrid_plan_previews_its_fee_usage_over_the_allowance_and_prorated_seats(app: TestApp) {
    define_meters(&app).await;
    hybrid_plan(&app).await;
    app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "hybrid", "test")
        .await
        .expect("assigned");
    let mut alpha = app.bearer_client("alpha.localhost", &app.api_key("alpha", "member").await);
    send(
        &mut alpha,
        json!([{"id": "a", "meter": "emails", "quantity": 150}]),
    )
    .await;
    // A second member mid-period.
    add_member(&app.ctx("alpha").await, "second@alpha.test").await;

    let mut admin_key = app.bearer_client("alpha.localhost", &app.api_key("alpha", "admin").await);
    let preview = admin_key.get("/api/v1/billing/preview").await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let invoice = preview.json()["invoice"].clone();
    let lines = invoice["lines"].as_array().expect("lines");
    let sum: i64 = lines
        .iter()
        .map(|l| l["amount"].as_i64().expect("present"))
        .sum();
    assert_eq!(invoice["subtotal"].as_i64(), Some(sum), "{invoice}");
    assert_eq!(invoice["total"].as_i64(), Some(sum));
    let base = lines
        .iter()
        .find(|l| l["price"] == "base")
        .expect("base fee");
    // Moved onto the plan now: the fee covers the rest of the period only.
    assert_eq!(base["prorated"], true);
    assert!(base["amount"].as_i64().expect("present") <= 5000);
    let emails = lines
        .iter()
        .find(|l| l["price"] == "emails")
        .expect("emails");
    assert_eq!(emails["quantity"], 150);
    let included = emails["included"].as_i64().expect("present");
    assert_eq!(
        emails["amount"].as_i64(),
        Some((150 - included) * 2),
        "{emails}"
    );
    // Seats: one (included) until the second member came, then two.
    let seats: Vec<&Value> = lines.iter().filter(|l| l["price"] == "seats").collect();
    let last = seats.last().expect("seat lines");
    assert_eq!(last["quantity"], 2, "{invoice}");
    assert_eq!(last["prorated"], true);
    // Members cannot read the invoice; the page shows it to admins.
    assert_eq!(
        alpha.get("/api/v1/billing/preview").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn final_invoices_are_frozen_written_once_and_consume_credit(app: TestApp) {
    define_meters(&app).await;
    hybrid_plan(&app).await;
    let ctx = app.tenant("alpha").await;
    // The tenant was on the hybrid plan for the whole of last month.
    let last = Period::containing(Utc::now()).previous();
    let backdated = plan_assignment::ActiveModel {
        since: Set(last.start),
        plan: Set("hybrid".into()),
        ..Default::default()
    };
    app.engine
        .on_records(ctx.id(), async |records| {
            plan_assignment::Entity::insert(records.stamp(backdated))
                .exec_without_returning(records)
                .await?;
            Ok(())
        })
        .await
        .expect("backdated plan");
    let left = accounts::grant_credit(&app.engine, ctx.id(), "1200", "usd", "welcome", "test")
        .await
        .expect("credit");
    assert_eq!(left, 1200);
    let err = accounts::grant_credit(&app.engine, ctx.id(), "-5", "usd", "x", "test")
        .await
        .expect_err("refused");
    assert_eq!(err.field(), Some("amount"));

    let invoice = invoices::finalize(&app.engine, &ctx, last)
        .await
        .expect("finalized");
    assert_eq!(
        (invoice.subtotal, invoice.credits_applied, invoice.total),
        (5000, 1200, 3800),
        "{:?}",
        invoices::lines_of(&invoice)
    );
    assert_eq!(invoice.status, "open");
    assert_eq!(accounts::summary(&ctx).await.expect("summary").1, 0);
    // Finalizing again returns the same invoice and consumes nothing more.
    let again = invoices::finalize(&app.engine, &ctx, last)
        .await
        .expect("again");
    assert_eq!(again.id, invoice.id);

    // The database refuses to change a final invoice's figures, even in a
    // transaction bound to its tenant.
    let plane = ctx.db().await.expect("db");
    let backend = plane.get_database_backend();
    let tamper = plane
        .execute_raw(Statement::from_string(
            backend,
            format!(
                "UPDATE invoices SET total = 1 WHERE number = '{}'",
                invoice.number
            ),
        ))
        .await;
    assert!(tamper.is_err(), "an invoice's total changed");
    drop(plane);
    let plane = ctx.db().await.expect("db");
    let lines = plane
        .execute_raw(Statement::from_string(
            backend,
            format!(
                "UPDATE invoices SET lines = '[]' WHERE number = '{}'",
                invoice.number
            ),
        ))
        .await;
    assert!(lines.is_err(), "an invoice's lines changed");
    drop(plane);

    // The background job closes a period only once its late window has
    // passed, and each period once.
    let current = Period::containing(Utc::now());
    let late = Duration::hours(app.engine.settings().usage_late_hours.into());
    let early = current.end + late - Duration::hours(1);
    assert_eq!(
        invoices::finalize_due(&app.engine, early)
            .await
            .expect("job"),
        0
    );
    let after = current.end + late + Duration::hours(1);
    assert_eq!(
        invoices::finalize_due(&app.engine, after)
            .await
            .expect("job"),
        1
    );
    assert_eq!(
        invoices::finalize_due(&app.engine, after)
            .await
            .expect("job"),
        0
    );
    assert_eq!(invoices::list(&ctx).await.expect("list").len(), 2);

    // Payment is recorded; a second time is refused.
    let paid = invoices::mark_paid(&app.engine, ctx.id(), &invoice.number, "superadmin:test")
        .await
        .expect("paid");
    assert_eq!(paid.status, "paid");
    assert_eq!(paid.total, 3800);
    let err = invoices::mark_paid(&app.engine, ctx.id(), &invoice.number, "superadmin:test")
        .await
        .expect_err("twice");
    assert_eq!(err.field(), Some("number"));
}

fn stripe_event(id: &str, kind: &str, created: i64, tenant: uuid::Uuid) -> String {
    json!({
        "id": id,
        "object": "event",
        "type": kind,
        "created": created,
        "data": {"object": {
            "object": "invoice",
            "id": "in_test",
            "customer": "cus_unknown",
            "subscription_details": {"metadata": {"tenant_id": tenant.to_string()}}
        }}
    })
    .to_string()
}

async fn deliver(app: &TestApp, body: &str, signature: &str) -> (StatusCode, Value) {
    let req = Request::post("/webhooks/stripe")
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(Body::from(body.to_owned()))
        .expect("request");
    let res = app.client("admin.localhost").send(req).await;
    (
        res.status,
        serde_json::from_str(&res.text).unwrap_or(Value::Null),
    )
}

async fn stripe_webhooks_are_verified_applied_once_and_never_undone_by_older_events(app: TestApp) {
    let ctx = app.tenant("alpha").await;
    let tenant = ctx.id().uuid();
    let now = Utc::now().timestamp();
    let failed = stripe_event("evt_failed", "invoice.payment_failed", now - 60, tenant);
    let signed = sign(&[STRIPE_WEBHOOK_SECRET], now, failed.as_bytes());

    // Refused: no header, another secret, a stale timestamp, a tampered or
    // re-serialised body.
    let (status, _) = deliver(&app, &failed, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = deliver(
        &app,
        &failed,
        &sign(&["whsec_other"], now, failed.as_bytes()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = deliver(
        &app,
        &failed,
        &sign(&[STRIPE_WEBHOOK_SECRET], now - 600, failed.as_bytes()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("tolerance"),
        "{body}"
    );
    let tampered = failed.replace("payment_failed", "paid");
    assert_eq!(
        deliver(&app, &tampered, &signed).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let reserialised =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&failed).expect("present"))
            .expect("present");
    assert_eq!(
        deliver(&app, &reserialised, &signed).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(past_due_notice(&app, ctx.id()).await.is_none());

    // Accepted with one good signature among several (a secret rotation).
    let rotated = sign(
        &["whsec_retired", STRIPE_WEBHOOK_SECRET],
        now,
        failed.as_bytes(),
    );
    let (status, body) = deliver(&app, &failed, &rotated).await;
    assert_eq!(
        (status, body["received"].as_str()),
        (StatusCode::OK, Some("applied")),
        "{body}"
    );
    assert!(past_due_notice(&app, ctx.id()).await.is_some());
    // A redelivery changes nothing.
    let (_, body) = deliver(&app, &failed, &signed).await;
    assert_eq!(body["received"], "duplicate");

    // Paid later; then an older failure arrives late and is ignored.
    let paid = stripe_event("evt_paid", "invoice.paid", now - 10, tenant);
    let (_, body) = deliver(
        &app,
        &paid,
        &sign(&[STRIPE_WEBHOOK_SECRET], now, paid.as_bytes()),
    )
    .await;
    assert_eq!(body["received"], "applied");
    let late = stripe_event("evt_late", "invoice.payment_failed", now - 30, tenant);
    let (_, body) = deliver(
        &app,
        &late,
        &sign(&[STRIPE_WEBHOOK_SECRET], now, late.as_bytes()),
    )
    .await;
    assert_eq!(body["received"], "ignored");
    assert!(past_due_notice(&app, ctx.id()).await.is_none());

    // Past due beyond the grace period: suspended; paid: resumed.
    let fail_again = stripe_event("evt_again", "invoice.payment_failed", now - 5, tenant);
    deliver(
        &app,
        &fail_again,
        &sign(&[STRIPE_WEBHOOK_SECRET], now, fail_again.as_bytes()),
    )
    .await;
    let grace = i64::from(app.engine.settings().billing_grace_days);
    assert_eq!(
        accounts::suspend_overdue(&app.engine, Utc::now())
            .await
            .expect("check"),
        0
    );
    let later = Utc::now() + Duration::days(grace + 1);
    assert_eq!(
        accounts::suspend_overdue(&app.engine, later)
            .await
            .expect("check"),
        1
    );
    assert_eq!(
        app.ctx("alpha").await.tenant().state,
        TenantState::Suspended
    );
    let settled = stripe_event("evt_settled", "invoice.payment_succeeded", now, tenant);
    let (_, body) = deliver(
        &app,
        &settled,
        &sign(&[STRIPE_WEBHOOK_SECRET], now, settled.as_bytes()),
    )
    .await;
    assert_eq!(body["received"], "applied");
    assert_eq!(app.ctx("alpha").await.tenant().state, TenantState::Active);
}

async fn the_platform_records_seats_api_calls_and_storage_as_usage(app: TestApp) {
    let ctx = app.tenant("alpha").await;
    let mut viewer = app.bearer_client("alpha.localhost", &app.api_key("alpha", "viewer").await);
    let usage = |body: &Value, key: &str| meter(body, key)["total"].as_i64().expect("total");
    app.engine.api_calls().flush(&app.engine).await;
    let first = viewer.get("/api/v1/usage").await.json();
    assert_eq!(usage(&first, "seats"), 1, "the owner: {first}");

    // Another member, a logo, and three more API calls, flushed.
    add_member(&ctx, "second@alpha.test").await;
    let logo = crate::branding_assets::png(33, 17);
    tenantry::branding::assets::upload(&ctx, tenantry::storage::Asset::Logo, &logo, "test")
        .await
        .expect("logo");
    for _ in 0..3 {
        assert_eq!(viewer.get("/api/v1/projects").await.status, StatusCode::OK);
    }
    app.engine.api_calls().flush(&app.engine).await;

    let after = viewer.get("/api/v1/usage").await.json();
    assert_eq!(usage(&after, "seats"), 2, "{after}");
    assert!(usage(&after, "storage_bytes") > 0, "{after}");
    // The first usage read and the three project lists (this read is
    // written with the next flush).
    assert_eq!(
        usage(&after, "api_calls") - usage(&first, "api_calls"),
        4,
        "{after}"
    );
    // Senders may not write the platform's meters.
    let mut member = app.bearer_client("alpha.localhost", &app.api_key("alpha", "member").await);
    let (_, body) = send(
        &mut member,
        json!([{"id": "s", "meter": "seats", "quantity": 0}]),
    )
    .await;
    assert_eq!(body["ingest"]["rejected"][0]["field"], "meter", "{body}");

    // Past the retention window the events are gone; the hourly pass
    // records the stored bytes again.
    let later =
        Utc::now() + Duration::days(i64::from(app.engine.settings().usage_retention_days) + 1);
    tenantry::billing::platform_usage::hourly(&app.engine, later)
        .await
        .expect("hourly pass");
    let purged = viewer.get("/api/v1/usage").await.json();
    assert_eq!(usage(&purged, "seats"), 0, "{purged}");
    assert_eq!(usage(&purged, "api_calls"), 0, "{purged}");
    assert_eq!(
        usage(&purged, "storage_bytes"),
        usage(&after, "storage_bytes"),
        "{purged}"
    );
}
