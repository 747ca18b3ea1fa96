//! Moving live tenants between placements: every row arrives, reads never
//! fail and writes are only delayed while the tenant moves, and a crash at any
//! step leaves it served from exactly one complete placement.

use crate::harness::{pg_url, Client, TestApp, PASSWORD};
use crate::placements::storage_exists;
use axum::http::StatusCode;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tenantry::identity::members::{self, NewMember};
use tenantry::product::{projects, tasks};
use tenantry::tenancy::{moves, Placement, TenantCtx};

/// A tenant with a few projects, tasks and members.
pub(crate) async fn seeded(app: &TestApp, slug: &str) -> TenantCtx {
    let ctx = app.tenant(slug).await;
    let db = ctx.db().await.expect("db");
    for p in 0..4 {
        let project = projects::create(&ctx, &db, &format!("project {p}"))
            .await
            .expect("project");
        for t in 0..6 {
            tasks::create(&db, project.id, &format!("task {p}.{t}"))
                .await
                .expect("task");
        }
    }
    let member =
        NewMember::parse(&format!("m@{slug}.test"), "M", PASSWORD, "member").expect("member");
    members::create(&db, member).await.expect("member created");
    db.commit().await.expect("commit");
    ctx
}

/// Everything the tenant holds, as it sees it now (resolved afresh).
pub(crate) async fn contents(app: &TestApp, slug: &str) -> String {
    let ctx = app.ctx(slug).await;
    let db = ctx.read().await.expect("read");
    let mut out = String::new();
    for p in projects::list(&db).await.expect("projects") {
        let ts: Vec<String> = tasks::list(&db, p.id)
            .await
            .expect("tasks")
            .into_iter()
            .map(|t| format!("{}:{}:{}", t.id, t.title, t.done))
            .collect();
        out.push_str(&format!("{}:{}:{:?}\n", p.id, p.name, ts));
    }
    let ms: Vec<String> = members::list(&db)
        .await
        .expect("members")
        .into_iter()
        .map(|m| format!("{}:{}:{}", m.id, m.email, m.role.as_str()))
        .collect();
    out.push_str(&ms.join(","));
    db.commit().await.expect("commit");
    out
}

/// Reads and writes through the API for as long as `running`, counting
/// failures; returns the names of the projects it created.
pub(crate) fn live_traffic(
    mut client: Client,
    running: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(Vec<String>, Vec<String>)> {
    tokio::spawn(async move {
        let (mut created, mut failures) = (Vec::new(), Vec::new());
        let mut n = 0;
        while running.load(Ordering::Relaxed) {
            let list = client.get("/api/v1/projects").await;
            if list.status != StatusCode::OK {
                failures.push(format!("read: {} {}", list.status, list.text));
            }
            let name = format!("live {n}");
            let made = client
                .post_json("/api/v1/projects", json!({"name": name}))
                .await;
            if made.status == StatusCode::CREATED {
                created.push(name);
            } else {
                failures.push(format!("write: {} {}", made.status, made.text));
            }
            n += 1;
        }
        (created, failures)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_tenant_moves_through_every_placement_without_losing_a_row_or_a_request() {
    let app = TestApp::postgres().await;
    let ctx = seeded(&app, "acme").await;
    let bystander = seeded(&app, "other").await;
    let other_before = contents(&app, "other").await;
    let running = Arc::new(AtomicBool::new(true));
    let traffic = live_traffic(app.owner_client("acme").await, running.clone());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let mut previous = ctx.tenant().clone();
    for to in [Placement::Schema, Placement::Database, Placement::Pool] {
        let status = moves::move_tenant(&app.engine, "acme", to, "test")
            .await
            .expect("move");
        assert_eq!(status.step, "done");
        assert!(status.finished);
        assert!(status.freeze_ms.is_some());
        let now = app.ctx("acme").await.tenant().clone();
        assert_eq!(now.placement, to);
        // The old copy is gone: its schema or database is dropped, and on the
        // pool its rows are deleted (checked at the end).
        if previous.placement != Placement::Pool {
            assert!(
                !storage_exists(&app, &previous).await,
                "{:?} removed",
                previous.placement
            );
        }
        previous = now;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    running.store(false, Ordering::Relaxed);
    let (created, failures) = traffic.await.expect("traffic");
    assert!(
        failures.is_empty(),
        "requests failed during the moves: {failures:?}"
    );
    assert!(created.len() > 3, "traffic ran ({} writes)", created.len());

    // Every seeded row and every write made during the moves is there.
    let after = contents(&app, "acme").await;
    for p in 0..4 {
        assert!(after.contains(&format!("project {p}")));
        for t in 0..6 {
            assert!(
                after.contains(&format!("task {p}.{t}")),
                "task {p}.{t} kept"
            );
        }
    }
    for name in &created {
        assert!(after.contains(&format!(":{name}:")), "{name} kept");
    }
    assert!(after.contains("m@acme.test:member"));
    assert_eq!(
        contents(&app, "other").await,
        other_before,
        "bystander untouched"
    );
    drop(bystander);
    let history = tenantry::audit::recent(&app.engine, 50)
        .await
        .expect("audit");
    assert_eq!(
        history
            .iter()
            .filter(|e| e.action == "tenant.moved")
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_refuse_bad_targets_with_field_errors() {
    let app = TestApp::postgres().await;
    app.tenant("acme").await;
    let same = moves::move_tenant(&app.engine, "acme", Placement::Pool, "test").await;
    assert_eq!(same.expect_err("same placement").field(), Some("to"));
    let unknown = moves::move_tenant(&app.engine, "nobody", Placement::Schema, "test").await;
    assert!(matches!(unknown, Err(tenantry::Error::NotFound)));
    let sqlite = TestApp::sqlite().await;
    sqlite.tenant("acme").await;
    let refused = moves::move_tenant(&sqlite.engine, "acme", Placement::Schema, "test").await;
    assert_eq!(refused.expect_err("sqlite").field(), Some("to"));
}

/// The CLI, with a fail point armed: the process aborts there.
fn move_cli(app: &TestApp, args: &[&str], failpoint: Option<&str>) -> std::process::Output {
    let db = app.pg_database.clone().expect("postgres");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.args(["tenant", "move"])
        .args(args)
        .env("TENANTRY_DATABASE_URL", pg_url("tenantry_app", &db))
        .env("TENANTRY_OWNER_DATABASE_URL", pg_url("tenantry_owner", &db))
        .env(
            "TENANTRY_TENANT_DATABASE_PREFIX",
            crate::harness::TENANT_DB_PREFIX,
        )
        .env("TENANTRY_LOG", "error")
        .env_remove("TENANTRY_FAILPOINT");
    if let Some(point) = failpoint {
        cmd.env("TENANTRY_FAILPOINT", point);
    }
    cmd.output().expect("run tenantry")
}

/// Killed at `point` on the way `from` → `to`: the tenant is served, whole,
/// from exactly one placement; re-running the move completes it.
async fn crash_then_resume(point: &str, from: Placement, to: Placement) {
    let app = TestApp::postgres_placed(&[from]).await;
    seeded(&app, "acme").await;
    let before = contents(&app, "acme").await;
    let crashed = move_cli(&app, &["acme", "--to", to.as_str()], Some(point));
    assert!(!crashed.status.success(), "{point}: the process was killed");
    assert!(
        String::from_utf8_lossy(&crashed.stderr).contains(&format!("failpoint {point}")),
        "{point}: {}",
        String::from_utf8_lossy(&crashed.stderr)
    );

    let record = app.ctx("acme").await.tenant().clone();
    assert!(
        [from, to].contains(&record.placement),
        "{point}: one of the two placements"
    );
    assert_eq!(
        contents(&app, "acme").await,
        before,
        "{point}: served whole after the crash"
    );
    let mut owner = app.owner_client("acme").await;
    let write = owner
        .post_json("/api/v1/projects", json!({"name": "after crash"}))
        .await;
    assert_eq!(
        write.status,
        StatusCode::CREATED,
        "{point}: writable after the crash: {}",
        write.text
    );

    let resumed = move_cli(&app, &["acme", "--to", to.as_str()], None);
    assert!(
        resumed.status.success(),
        "{point}: resume: {}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let done = app.ctx("acme").await.tenant().clone();
    assert_eq!(done.placement, to, "{point}: resumed to the end");
    let after = contents(&app, "acme").await;
    assert!(
        after.contains("after crash"),
        "{point}: the write made between crash and resume moved too"
    );
    assert_eq!(after.lines().count(), before.lines().count() + 1, "{point}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_killed_at_any_step_leaves_one_complete_placement_and_resumes() {
    for point in [
        "move:provisioned",
        "move:copied",
        "move:caught_up",
        "move:frozen",
        "move:fenced",
        "move:cleaned",
    ] {
        crash_then_resume(point, Placement::Pool, Placement::Schema).await;
    }
    // Out of a database, the catalog switch and the fence are two commits.
    for point in ["move:frozen", "move:switched", "move:fenced"] {
        crash_then_resume(point, Placement::Database, Placement::Pool).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_move_can_be_rolled_back_leaving_the_tenant_where_it_was() {
    let app = TestApp::postgres().await;
    seeded(&app, "acme").await;
    let before = contents(&app, "acme").await;
    let crashed = move_cli(&app, &["acme", "--to", "database"], Some("move:copied"));
    assert!(!crashed.status.success());
    let open = moves::open_move(&app.engine, app.ctx("acme").await.id())
        .await
        .expect("open move")
        .expect("unfinished move recorded");
    let target = open.to_location.clone().expect("target database");
    let rolled = move_cli(&app, &["acme", "--rollback"], None);
    assert!(
        rolled.status.success(),
        "{}",
        String::from_utf8_lossy(&rolled.stderr)
    );
    let record = app.ctx("acme").await.tenant().clone();
    assert_eq!(record.placement, Placement::Pool);
    assert_eq!(contents(&app, "acme").await, before);
    let mut gone = record.clone();
    gone.placement = Placement::Database;
    gone.location = Some(target);
    assert!(!storage_exists(&app, &gone).await, "partial target dropped");
    // Nothing unfinished remains; a new move works.
    let status = moves::move_tenant(&app.engine, "acme", Placement::Schema, "test")
        .await
        .expect("move");
    assert_eq!(status.step, "done");
}

/// A move whose process died is picked up by the periodic `moves.resume`
/// work of any instance, from its recorded step; one that failed with an
/// error is left for a superadmin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_whose_process_died_is_resumed_by_the_periodic_work() {
    let app = TestApp::postgres_placed(&[Placement::Pool]).await;
    seeded(&app, "acme").await;
    let before = contents(&app, "acme").await;
    let crashed = move_cli(&app, &["acme", "--to", "schema"], Some("move:copied"));
    assert!(!crashed.status.success(), "the process was killed");
    let record = app.ctx("acme").await.tenant().clone();
    let open = tenantry::tenancy::moves::latest(&app.engine, record.id)
        .await
        .expect("moves")
        .expect("the move");
    assert!(!open.finished && open.error.is_none(), "{open:?}");

    let finished = tenantry::tenancy::moves::resume_abandoned(&app.engine)
        .await
        .expect("resume");
    assert_eq!(finished, 1);
    let done = app.ctx("acme").await.tenant().clone();
    assert_eq!(done.placement, Placement::Schema);
    assert_eq!(contents(&app, "acme").await, before, "moved whole");
    // Nothing is left to resume.
    let again = tenantry::tenancy::moves::resume_abandoned(&app.engine)
        .await
        .expect("resume");
    assert_eq!(again, 0);
}
