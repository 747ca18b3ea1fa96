//! The jobs as people see them: the console's queue across tenants, with
//! retry and cancel; a tenant admin's own background work, and nothing of
//! another tenant's.

use crate::harness::{run_due_jobs, TestApp};
use crate::on_both_backends;
use axum::http::StatusCode;
use serde_json::Value;
use tenantry_app::features::console::api::ConsoleOverview;
use tenantry_app::features::invitations::api::InviteMember;
use tenantry_app::features::jobs::api::{CancelJob, JobOverview, RetryJob, TenantWork};

on_both_backends!(the_console_shows_jobs_by_tenant_and_kind_and_retries_or_cancels_them);

/// Mail whose one attempt fails (nothing listens on the SMTP port), so
/// each invitation leaves a dead `mail.send` job.
async fn failing_mail(app: TestApp) -> TestApp {
    let url = format!("smtp://127.0.0.1:{}", crate::peer::free_port());
    app.with_router_settings(&[("smtp_url", url.as_str()), ("mail_max_attempts", "1")])
        .await
}

async fn invite(app: &TestApp, slug: &str, email: &str) {
    let mut owner = app.owner_client(slug).await;
    let res = owner
        .server_fn::<InviteMember>(&[("email", email), ("role", "member")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

fn count_of<'a>(overview: &'a Value, slug: &str, kind: &str) -> &'a Value {
    overview["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .find(|c| c["slug"] == slug && c["kind"] == kind)
        .unwrap_or_else(|| panic!("a count for {slug} {kind}: {overview}"))
}

async fn the_console_shows_jobs_by_tenant_and_kind_and_retries_or_cancels_them(app: TestApp) {
    let app = failing_mail(app).await;
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    invite(&app, "alpha", "a1@example.com").await;
    invite(&app, "alpha", "a2@example.com").await;
    invite(&app, "bravo", "b1@example.com").await;
    run_due_jobs(&app.engine).await;

    let mut root = app.superadmin().await;
    let res = root.server_fn::<JobOverview>(&[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let overview = res.json();
    assert_eq!(count_of(&overview, "alpha", "mail.send")["dead"], 2);
    assert_eq!(count_of(&overview, "bravo", "mail.send")["dead"], 1);
    let dead: Vec<&Value> = overview["attention"]
        .as_array()
        .expect("attention")
        .iter()
        .filter(|j| j["state"] == "dead")
        .collect();
    assert_eq!(dead.len(), 3, "{overview}");
    assert!(dead.iter().all(|j| j["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("mail delivery failed"))));
    // The overview counts the tenants with dead jobs from the directory.
    let failed = async |root: &mut crate::harness::Client| {
        let res = root.server_fn::<ConsoleOverview>(&[]).await;
        res.json()["tenants_with_failed_jobs"].as_u64()
    };
    assert_eq!(failed(&mut root).await, Some(2));
    let alpha_job = dead.iter().find(|j| j["slug"] == "alpha").expect("alpha's");
    let alpha_job = alpha_job["id"].as_str().expect("id").to_owned();
    let bravo_job = dead.iter().find(|j| j["slug"] == "bravo").expect("bravo's");
    let bravo_job = bravo_job["id"].as_str().expect("id").to_owned();

    // Another tenant's job named under alpha is not found.
    let res = root
        .server_fn::<RetryJob>(&[("slug", "alpha"), ("job_id", &bravo_job)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    // A dead job cannot be cancelled; retried, it is queued with fresh
    // attempts; queued, it can be cancelled, then not retried twice over.
    let res = root
        .server_fn::<CancelJob>(&[("slug", "alpha"), ("job_id", &alpha_job)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(res.text.contains("job_id"), "{}", res.text);
    let res = root
        .server_fn::<RetryJob>(&[("slug", "alpha"), ("job_id", &alpha_job)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let overview = root.server_fn::<JobOverview>(&[]).await.json();
    let alpha = count_of(&overview, "alpha", "mail.send");
    assert_eq!((&alpha["dead"], &alpha["queued"]), (&1.into(), &1.into()));
    let res = root
        .server_fn::<RetryJob>(&[("slug", "alpha"), ("job_id", &alpha_job)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let res = root
        .server_fn::<CancelJob>(&[("slug", "alpha"), ("job_id", &alpha_job)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let overview = root.server_fn::<JobOverview>(&[]).await.json();
    assert_eq!(count_of(&overview, "alpha", "mail.send")["cancelled"], 1);
    let audit = tenantry::audit::for_tenant(&app.ctx("alpha").await, 50)
        .await
        .expect("alpha's trail");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"job.retried") && actions.contains(&"job.cancelled"));

    // Alpha's admins see alpha's jobs on its data page, not bravo's.
    let mut owner = app.owner_client("alpha").await;
    let res = owner.server_fn::<TenantWork>(&[("slug", "")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let work = res.json();
    let jobs = work["jobs"]["rows"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2, "{work}");
    assert!(jobs
        .iter()
        .all(|j| j["slug"] == "alpha" && j["kind"] == "mail.send"));
    assert!(!res.text.contains(&bravo_job));
    assert!(work["moving"].is_null());
    // Tenants cannot see the queue, nor retry or cancel.
    let res = owner.server_fn::<JobOverview>(&[]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let res = owner
        .server_fn::<RetryJob>(&[("slug", ""), ("job_id", &alpha_job)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);

    // Alpha still has a dead job; bravo's one retried, bravo has none left
    // and the overview counts one tenant.
    assert_eq!(failed(&mut root).await, Some(2));
    let res = root
        .server_fn::<RetryJob>(&[("slug", "bravo"), ("job_id", &bravo_job)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(failed(&mut root).await, Some(1));
}
