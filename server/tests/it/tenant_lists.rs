//! A tenant's long lists through their server functions, as its owner
//! calls them: the audit log, the jobs, an endpoint's deliveries and the
//! invoices each page by keyset (every row once, newest or oldest first,
//! rows at the same instant ordered by id), filter by state, and refuse a
//! forged cursor, an unknown order or an unknown state by field.

use crate::harness::{Client, TestApp};
use crate::on_both_backends;
use axum::http::StatusCode;
use sea_orm::{ActiveValue::NotSet, Set};
use serde_json::Value;
use std::collections::HashSet;
use tenantry::entities::tenant::{invoice, job, webhook_delivery};
use tenantry::events::endpoints::{self, Owner};
use tenantry::tenancy::TenantCtx;
use tenantry_app::features::billing::api::ListInvoices;
use tenantry_app::features::jobs::api::TenantWork;
use tenantry_app::features::tenant_audit::api::ListTenantAudit;
use tenantry_app::features::webhooks::api::WebhookDeliveries;

on_both_backends!(
    the_tenant_audit_log_pages_and_searches,
    jobs_deliveries_and_invoices_page_and_filter_by_state,
);

/// Rows seeded per list: more than two pages of 50.
const ROWS: usize = 120;

/// Every page of a list from its newest, each page's rows under `rows`
/// (or `jobs.rows` for the work panel): the rows in order, and how many
/// pages there were.
async fn walk<F: leptos::server_fn::ServerFn>(
    client: &mut Client,
    form: &[(&str, &str)],
    rows_of: fn(&Value) -> &Value,
) -> (Vec<Value>, usize) {
    let (mut rows, mut pages, mut after) = (Vec::new(), 0, String::new());
    loop {
        let mut fields = form.to_vec();
        fields.push(("after", &after));
        let res = client.server_fn::<F>(&fields).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let body = res.json();
        let page = rows_of(&body);
        pages += 1;
        rows.extend(page["rows"].as_array().expect("rows").iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => return (rows, pages),
        }
    }
}

fn unique(rows: &[Value], key: &str) -> HashSet<String> {
    let keys: HashSet<String> = rows.iter().map(|r| r[key].to_string()).collect();
    assert_eq!(keys.len(), rows.len(), "a row came twice");
    keys
}

/// A forged cursor and an unknown state are refused, naming the field.
async fn refuses<F: leptos::server_fn::ServerFn>(
    client: &mut Client,
    form: &[(&str, &str)],
    field: &str,
) {
    let res = client.server_fn::<F>(form).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["field"], field, "{}", res.text);
}

/// `n` moments, three at a time at the same instant, newest last.
fn instants(n: usize) -> Vec<chrono::DateTime<chrono::Utc>> {
    let base = chrono::Utc::now() - chrono::Duration::days(400);
    (0..n)
        .map(|i| base + chrono::Duration::seconds((i / 3) as i64))
        .collect()
}

async fn the_tenant_audit_log_pages_and_searches(app: TestApp) {
    let ctx = app.tenant("alpha").await;
    app.tenant("bravo").await;
    for n in 0..ROWS {
        let (actor, action) = match n % 4 {
            0 => ("Ann@alpha.test", "member.added"),
            1 => ("cli", "api_key.created"),
            _ => ("test", "sso.changed"),
        };
        ctx.run(true, async |db| {
            tenantry::audit::record_tenant(db, actor, action, &format!("entry {n}")).await
        })
        .await
        .expect("recorded");
    }
    let mut owner = app.owner_client("alpha").await;
    let (rows, pages) = walk::<ListTenantAudit>(&mut owner, &[("query", "")], |b| b).await;
    let details: HashSet<String> = rows
        .iter()
        .map(|r| r["detail"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(details.len(), rows.len(), "an entry came twice");
    assert!(
        rows.len() >= ROWS && pages == 3,
        "{} in {pages}",
        rows.len()
    );
    assert!(details.contains("entry 0") && details.contains("entry 119"));
    // Newest first: the last seeded entry before the first one.
    let at = |d: &str| rows.iter().position(|r| r["detail"] == d).expect(d);
    assert!(at("entry 119") < at("entry 0"));
    // Oldest first is the same rows the other way round, page by page.
    let (oldest, _) =
        walk::<ListTenantAudit>(&mut owner, &[("query", ""), ("order", "oldest")], |b| b).await;
    assert_eq!(oldest, rows.iter().rev().cloned().collect::<Vec<_>>());
    refuses::<ListTenantAudit>(&mut owner, &[("order", "sideways")], "order").await;

    let (found, _) = walk::<ListTenantAudit>(&mut owner, &[("query", "ANN@")], |b| b).await;
    assert_eq!(found.len(), ROWS / 4);
    let (by_action, _) = walk::<ListTenantAudit>(&mut owner, &[("query", "API_KEY.")], |b| b).await;
    assert_eq!(by_action.len(), ROWS / 4);
    let (literal, _) = walk::<ListTenantAudit>(&mut owner, &[("query", "api%key")], |b| b).await;
    assert!(literal.is_empty());
    refuses::<ListTenantAudit>(&mut owner, &[("query", ""), ("after", "x~y")], "after").await;

    // Bravo's admins see none of it.
    let mut bravo = app.owner_client("bravo").await;
    let (theirs, _) = walk::<ListTenantAudit>(&mut bravo, &[("query", "entry")], |b| b).await;
    assert!(theirs.is_empty(), "{theirs:?}");
}

async fn jobs_deliveries_and_invoices_page_and_filter_by_state(app: TestApp) {
    let ctx = app.tenant("alpha").await;
    app.tenant("bravo").await;
    let endpoint = seed(&app, &ctx).await;
    let mut owner = app.owner_client("alpha").await;

    let (jobs, pages) =
        walk::<TenantWork>(&mut owner, &[("slug", ""), ("state", "")], |b| &b["jobs"]).await;
    unique(&jobs, "id");
    assert!(jobs.len() >= ROWS && pages >= 3, "{} jobs", jobs.len());
    let (dead, _) = walk::<TenantWork>(&mut owner, &[("slug", ""), ("state", "dead")], |b| {
        &b["jobs"]
    })
    .await;
    assert_eq!(dead.len(), ROWS / 2);
    assert!(dead.iter().all(|j| j["state"] == "dead"));
    refuses::<TenantWork>(&mut owner, &[("slug", ""), ("state", "lost")], "state").await;

    let form = [("endpoint_id", endpoint.as_str()), ("status", "")];
    let (deliveries, pages) = walk::<WebhookDeliveries>(&mut owner, &form, |b| b).await;
    unique(&deliveries, "id");
    assert_eq!((deliveries.len(), pages), (ROWS, 3));
    let form = [("endpoint_id", endpoint.as_str()), ("status", "failed")];
    let (failed, _) = walk::<WebhookDeliveries>(&mut owner, &form, |b| b).await;
    assert_eq!(failed.len(), ROWS / 2);
    assert!(failed.iter().all(|d| d["status"] == "failed"));
    let form = [("endpoint_id", endpoint.as_str()), ("status", "sent")];
    refuses::<WebhookDeliveries>(&mut owner, &form, "status").await;
    let form = [("endpoint_id", endpoint.as_str()), ("order", "oldest")];
    let (oldest, _) = walk::<WebhookDeliveries>(&mut owner, &form, |b| b).await;
    assert_eq!(oldest, deliveries.iter().rev().cloned().collect::<Vec<_>>());

    let (invoices, pages) =
        walk::<ListInvoices>(&mut owner, &[("slug", ""), ("status", "")], |b| b).await;
    unique(&invoices, "number");
    assert_eq!((invoices.len(), pages), (ROWS, 3));
    // Newest period first (the last three share an instant).
    let newest = ["A-117", "A-118", "A-119"];
    assert!(newest.contains(&invoices[0]["number"].as_str().unwrap_or_default()));
    assert!(invoices[ROWS - 1]["number"]
        .as_str()
        .is_some_and(|n| ["A-0", "A-1", "A-2"].contains(&n)));
    let (paid, _) =
        walk::<ListInvoices>(&mut owner, &[("slug", ""), ("status", "paid")], |b| b).await;
    assert_eq!(paid.len(), ROWS / 2);
    refuses::<ListInvoices>(&mut owner, &[("slug", ""), ("after", "12~nope")], "after").await;
    let (oldest, _) =
        walk::<ListInvoices>(&mut owner, &[("slug", ""), ("order", "oldest")], |b| b).await;
    assert_eq!(oldest, invoices.iter().rev().cloned().collect::<Vec<_>>());
    let (oldest_jobs, _) =
        walk::<TenantWork>(&mut owner, &[("slug", ""), ("order", "oldest")], |b| {
            &b["jobs"]
        })
        .await;
    assert_eq!(oldest_jobs, jobs.iter().rev().cloned().collect::<Vec<_>>());

    // Bravo's owner reaches none of alpha's deliveries: the endpoint is not
    // theirs.
    let mut bravo = app.owner_client("bravo").await;
    let res = bravo
        .server_fn::<WebhookDeliveries>(&[("endpoint_id", &endpoint), ("status", "")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
}

/// Alpha's rows for each list, half in each of two finished states (so no
/// runner or dispatcher takes them up); returns the endpoint's id.
async fn seed(app: &TestApp, ctx: &TenantCtx) -> String {
    let endpoint = endpoints::create(
        &app.engine,
        Owner::of(ctx),
        "https://example.com/paging",
        "",
        "*",
        "test",
    )
    .await
    .expect("endpoint")
    .endpoint
    .id;
    let at = instants(ROWS);
    ctx.run(true, async |db| {
        for (n, &at) in at.iter().enumerate() {
            let (job_state, status, paid) = match n % 2 {
                0 => ("dead", "failed", "paid"),
                _ => ("done", "delivered", "open"),
            };
            db.insert(job::ActiveModel {
                tenant_id: NotSet,
                id: Set(uuid::Uuid::new_v4()),
                kind: Set("test.paging".into()),
                payload: Set("{}".into()),
                state: Set(job_state.into()),
                priority: Set(0),
                run_at: Set(at),
                attempts: Set(1),
                max_attempts: Set(1),
                lease_until: Set(None),
                leased_by: Set(None),
                idempotency_key: Set(None),
                last_error: Set(None),
                created_at: Set(at),
                finished_at: Set(Some(at)),
            })
            .await?;
            db.insert(webhook_delivery::ActiveModel {
                tenant_id: NotSet,
                id: Set(uuid::Uuid::new_v4()),
                endpoint_id: Set(endpoint),
                event_id: Set(uuid::Uuid::new_v4()),
                event_kind: Set("tenant.updated".into()),
                event_slug: Set("alpha".into()),
                event_occurred_at: Set(at),
                event_data: Set("{}".into()),
                status: Set(status.into()),
                attempts: Set(1),
                next_attempt_at: Set(at),
                last_status: Set(Some(200)),
                last_error: Set(None),
                last_response: Set(None),
                last_attempt_at: Set(Some(at)),
                delivered_at: Set(None),
                created_at: Set(at),
            })
            .await?;
            db.insert(invoice::ActiveModel {
                tenant_id: NotSet,
                id: Set(uuid::Uuid::new_v4()),
                account: Set(uuid::Uuid::new_v4()),
                number: Set(format!("A-{n}")),
                period: Set(format!("p{n}")),
                period_start: Set(at),
                period_end: Set(at),
                currency: Set("usd".into()),
                subtotal: Set(100),
                credits_applied: Set(0),
                total: Set(100),
                lines: Set("[]".into()),
                status: Set(paid.into()),
                created_at: Set(at),
                paid_at: Set(None),
                paid_by: Set(None),
                external_id: Set(None),
            })
            .await?;
        }
        Ok(())
    })
    .await
    .expect("seeded");
    endpoint.to_string()
}
