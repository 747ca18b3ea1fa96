//! Issue 20: tenant jobs. A job runs inside the tenant that enqueued it and
//! sees nothing of another; a failing job is retried with backoff, then
//! dead; an idempotency key makes one job of two requests; two runners (two
//! instances) run each job once; one tenant's flood does not hold up
//! another's job for more than one of the flood's jobs; a suspended
//! tenant's jobs wait and a deleted tenant's are cancelled; a stopping
//! runner puts back the job it could not finish.
//!
//! About 460 lines, one scenario per test: background job scenarios, each
//! reading top to bottom with the shared runner fixtures at the top.

use crate::harness::TestApp;
use crate::on_both_backends;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;
use tenantry::jobs::{self, JobRun, NewJob, Registry, Runner, TenantJob};
use tenantry::product::projects;
use tenantry::tenancy::{TenantCtx, TenantId};
use uuid::Uuid;

on_both_backends!(
    a_job_runs_in_its_own_tenant_and_sees_nothing_of_another,
    a_failing_job_is_retried_then_dead,
    an_idempotency_key_makes_one_job,
    one_tenants_flood_does_not_hold_up_another_tenants_job,
    a_suspended_tenants_jobs_wait_and_a_deleted_tenants_are_cancelled,
    a_stopping_runner_puts_back_the_job_it_could_not_finish,
);

/// What each test job saw when it ran, by job id: the tenant it ran in and
/// the projects it could read there.
type Sightings = HashMap<Uuid, Vec<(TenantId, usize)>>;

static SEEN: LazyLock<Mutex<Sightings>> = LazyLock::new(Default::default);

fn sightings() -> std::sync::MutexGuard<'static, Sightings> {
    SEEN.lock().expect("sightings")
}

fn seen(id: Uuid) -> Vec<(TenantId, usize)> {
    sightings().get(&id).cloned().unwrap_or_default()
}

/// Counts the projects it can read, and how long to take over it.
#[derive(Serialize, Deserialize)]
struct CountProjects {
    millis: u64,
}

impl TenantJob for CountProjects {
    const KIND: &'static str = "test.count_projects";

    async fn run(self, ctx: &TenantCtx, run: &JobRun) -> tenantry::Result<()> {
        let n = ctx
            .run(false, async |db| projects::list(db).await)
            .await?
            .len();
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
        sightings().entry(run.id).or_default().push((ctx.id(), n));
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct AlwaysFails;

impl TenantJob for AlwaysFails {
    const KIND: &'static str = "test.always_fails";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, _: &TenantCtx, run: &JobRun) -> tenantry::Result<()> {
        sightings().entry(run.id).or_default();
        Err(anyhow::anyhow!("attempt {} failed on purpose", run.attempt).into())
    }
}

/// Waits until it is told to finish (never, in these tests).
#[derive(Serialize, Deserialize)]
struct Hangs;

impl TenantJob for Hangs {
    const KIND: &'static str = "test.hangs";

    async fn run(self, _: &TenantCtx, _: &JobRun) -> tenantry::Result<()> {
        std::future::pending::<()>().await;
        Ok(())
    }
}

fn registry() -> Registry {
    Registry::default()
        .tenant::<CountProjects>()
        .tenant::<AlwaysFails>()
        .tenant::<Hangs>()
}

async fn seed(app: &TestApp, slug: &str, projects_n: usize) -> TenantCtx {
    let ctx = app.tenant(slug).await;
    let db = ctx.db().await.expect("db");
    for i in 0..projects_n {
        projects::create(&ctx, &db, &format!("{slug} {i}"))
            .await
            .expect("project");
    }
    db.commit().await.expect("commit");
    ctx
}

/// Enqueues a `CountProjects` job of `ctx`'s tenant.
async fn count_projects(ctx: &TenantCtx, millis: u64) -> Uuid {
    jobs::enqueue(ctx, NewJob::new(ctx, CountProjects { millis }))
        .await
        .expect("enqueued")
}

/// Runs passes of `runners` until `done` holds (or fails after 10 s).
async fn run_until(runners: &[&Runner], what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..500 {
        if done().await {
            return;
        }
        for runner in runners {
            runner.pass().await.expect("pass");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not within 10 s: {what}");
}

async fn state(ctx: &TenantCtx, id: Uuid) -> String {
    jobs::get(ctx, id).await.expect("job").state
}

async fn a_job_runs_in_its_own_tenant_and_sees_nothing_of_another(app: TestApp) {
    let alpha = seed(&app, "alpha", 2).await;
    let beta = seed(&app, "beta", 3).await;
    let runner = Runner::new(app.engine.clone(), registry());
    let in_alpha = count_projects(&alpha, 0).await;
    let in_beta = count_projects(&beta, 0).await;
    run_until(&[&runner], "both done", async || {
        state(&alpha, in_alpha).await == jobs::DONE && state(&beta, in_beta).await == jobs::DONE
    })
    .await;
    assert_eq!(
        seen(in_alpha),
        vec![(alpha.id(), 2)],
        "alpha's job, in alpha"
    );
    assert_eq!(seen(in_beta), vec![(beta.id(), 3)], "beta's job, in beta");
    // Neither tenant sees the other's job.
    assert!(matches!(
        jobs::get(&alpha, in_beta).await,
        Err(tenantry::Error::NotFound)
    ));
    assert!(jobs::list(&beta, 10)
        .await
        .expect("list")
        .iter()
        .all(|job| job.id != in_alpha));
}

async fn a_failing_job_is_retried_then_dead(app: TestApp) {
    let alpha = seed(&app, "alpha", 0).await;
    let runner = Runner::new(app.engine.clone(), registry());
    let id = jobs::enqueue(&alpha, NewJob::new(&alpha, AlwaysFails))
        .await
        .expect("enqueued");
    run_until(&[&runner], "dead", async || {
        state(&alpha, id).await == jobs::DEAD
    })
    .await;
    let job = jobs::get(&alpha, id).await.expect("job");
    assert_eq!(job.attempts, 3, "{job:?}");
    assert_eq!(
        job.last_error.as_deref(),
        Some("attempt 3 failed on purpose"),
        "{job:?}"
    );
    // The retries waited: the backoff (20 ms, then 40 ms, with jitter) is
    // at least 60 ms between the first attempt and the last.
    let took = job.finished_at.expect("finished") - job.created_at;
    assert!(took >= chrono::Duration::milliseconds(60), "{took}");
}

async fn an_idempotency_key_makes_one_job(app: TestApp) {
    let alpha = seed(&app, "alpha", 1).await;
    let first = NewJob::new(&alpha, CountProjects { millis: 0 }).once("count:today");
    let again = NewJob::new(&alpha, CountProjects { millis: 0 }).once("count:today");
    let a = jobs::enqueue(&alpha, first).await.expect("first");
    let b = jobs::enqueue(&alpha, again).await.expect("again");
    assert_eq!(a, b, "the second request answers the first job");
    assert_eq!(jobs::list(&alpha, 10).await.expect("list").len(), 1);
    let runner = Runner::new(app.engine.clone(), registry());
    run_until(&[&runner], "done", async || {
        state(&alpha, a).await == jobs::DONE
    })
    .await;
    assert_eq!(seen(a).len(), 1, "its effect happened once");
}

// Instances share a database only on PostgreSQL (the embedded SQLite mode
// is one process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_run_each_job_once_on_postgres() {
    two_runners_run_each_job_once(TestApp::postgres().await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_run_each_job_once_on_mixed_placements() {
    two_runners_run_each_job_once(TestApp::postgres_mixed().await).await
}

async fn two_runners_run_each_job_once(app: TestApp) {
    let alpha = seed(&app, "alpha", 1).await;
    let beta = seed(&app, "beta", 1).await;
    // Another instance: its own engine and runner on the same database.
    let other = app.with_settings(&[]).await;
    let runners = [
        Runner::new(app.engine.clone(), registry()),
        Runner::new(other, registry()),
    ];
    let mut ids = Vec::new();
    for ctx in [&alpha, &beta] {
        for _ in 0..10 {
            ids.push((ctx.clone(), count_projects(ctx, 5).await));
        }
    }
    // Both pass at the same time, over and over.
    let passes = runners.clone().map(|runner| {
        tokio::spawn(async move {
            for _ in 0..200 {
                runner.pass().await.expect("pass");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    });
    run_until(&[], "all done", async || {
        for (ctx, id) in &ids {
            if state(ctx, *id).await != jobs::DONE {
                return false;
            }
        }
        true
    })
    .await;
    for pass in passes {
        pass.abort();
    }
    for (ctx, id) in &ids {
        assert_eq!(
            seen(*id),
            vec![(ctx.id(), 1)],
            "job {id} ran once, in its tenant"
        );
    }
}

async fn one_tenants_flood_does_not_hold_up_another_tenants_job(app: TestApp) {
    let alpha = seed(&app, "alpha", 0).await;
    let beta = seed(&app, "beta", 0).await;
    // Two workers, one job per tenant at a time.
    let engine = app
        .with_settings(&[("job_workers", "2"), ("jobs_per_tenant", "1")])
        .await;
    let runner = Runner::new(engine, registry());
    let mut flood = Vec::new();
    for _ in 0..40 {
        flood.push(count_projects(&alpha, 50).await);
    }
    runner.pass().await.expect("the flood starts");
    let late = count_projects(&beta, 0).await;
    run_until(&[&runner], "beta's job done", async || {
        state(&beta, late).await == jobs::DONE
    })
    .await;
    let mut flood_done = 0;
    for id in &flood {
        if state(&alpha, *id).await == jobs::DONE {
            flood_done += 1;
        }
    }
    // Alpha holds at most one of the two workers, so beta's job starts at
    // the first pass after it was enqueued: by then alpha has finished at
    // most a couple of its 50 ms jobs, out of 40.
    assert!(
        flood_done <= 3,
        "beta's job waited for {flood_done} of alpha's jobs"
    );
}

async fn a_suspended_tenants_jobs_wait_and_a_deleted_tenants_are_cancelled(app: TestApp) {
    use tenantry::catalog::tenants;
    let alpha = seed(&app, "alpha", 0).await;
    let beta = seed(&app, "beta", 0).await;
    let waits = count_projects(&alpha, 0).await;
    let ends = count_projects(&beta, 0).await;
    tenants::suspend(&app.engine, "alpha", "test")
        .await
        .expect("suspended");
    tenants::delete(&app.engine, "beta", "beta", "test")
        .await
        .expect("deleted");
    let runner = Runner::new(app.engine.clone(), registry());
    run_until(&[&runner], "beta's job cancelled", async || {
        state(&beta, ends).await == jobs::CANCELLED
    })
    .await;
    assert_eq!(state(&alpha, waits).await, jobs::QUEUED, "it waits");
    assert!(
        seen(waits).is_empty() && seen(ends).is_empty(),
        "neither ran"
    );

    tenants::resume(&app.engine, "alpha", "test")
        .await
        .expect("resumed");
    // It is looked at again a minute later, or at once when work is noted.
    tenantry::tenancy::directory::work_due_now(
        &app.engine,
        tenantry::tenancy::directory::Queue::Jobs,
        alpha.id(),
    )
    .await
    .expect("noted");
    run_until(&[&runner], "alpha's job done", async || {
        state(&alpha, waits).await == jobs::DONE
    })
    .await;
}

async fn a_stopping_runner_puts_back_the_job_it_could_not_finish(app: TestApp) {
    let alpha = seed(&app, "alpha", 0).await;
    let id = jobs::enqueue(&alpha, NewJob::new(&alpha, Hangs))
        .await
        .expect("enqueued");
    let runner = Runner::new(app.engine.clone(), registry());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(runner.clone().run(
        async {
            let _ = stopped.await;
        },
        Duration::from_millis(200),
    ));
    run_until(&[], "running", async || {
        state(&alpha, id).await == jobs::RUNNING
    })
    .await;
    stop.send(()).expect("stop");
    running.await.expect("the runner stops within its grace");
    let job = jobs::get(&alpha, id).await.expect("job");
    assert_eq!(job.state, jobs::QUEUED, "{job:?}");
    assert_eq!(job.attempts, 0, "the unfinished attempt is not counted");
}

/// The real server binary killed (SIGKILL) while it produces an export: the
/// export's job runs again once the lease has run out on the restarted
/// server, and its archive exists once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_interrupted_by_kill_9_runs_again_and_its_archive_exists_once() {
    use crate::ingest_faults::start_server_with;
    use crate::peer::{free_port, wait_listening};
    use sea_orm::Set;
    use tenantry::entities::tenant::project;
    use tenantry::exports;
    let app = TestApp::postgres().await;
    // Enough rows that producing the archive takes a while, inserted in
    // bulk (one at a time, each counted against the plan, is slow).
    let alpha = seed(&app, "alpha", 0).await;
    let db = alpha.db().await.expect("db");
    let now = chrono::Utc::now();
    for chunk in 0..10 {
        let rows = (0..500)
            .map(|i| project::ActiveModel {
                id: Set(Uuid::now_v7()),
                name: Set(format!("bulk {chunk}-{i}")),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        db.insert_new(rows).await.expect("projects");
    }
    db.commit().await.expect("commit");
    let env = [
        ("TENANTRY_JOB_LEASE_SECS", "1"),
        ("TENANTRY_JOB_POLL_MS", "50"),
    ];
    let port = free_port();
    let mut server = start_server_with(&app.settings, port, &env);
    wait_listening(port, "the server").await;

    let export = exports::request(&app.engine, alpha.tenant(), "test")
        .await
        .expect("requested");
    let state_of = async || {
        exports::list(&app.engine, alpha.tenant())
            .await
            .expect("list")
            .into_iter()
            .find(|e| e.id == export.id)
            .expect("listed")
            .state
    };
    let mut seen_running = false;
    for _ in 0..1000 {
        if state_of().await == exports::RUNNING {
            seen_running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    let killed_in = state_of().await;
    let mut server = start_server_with(&app.settings, port, &env);
    wait_listening(port, "the server").await;
    // Generous: under the whole suite's load the restarted server's start
    // and the export itself each take seconds.
    let export_job = || async {
        jobs::list(&alpha, 10)
            .await
            .expect("jobs")
            .into_iter()
            .find(|job| job.kind == exports::ProduceExport::KIND)
            .expect("the export's job")
    };
    // The archive is marked done inside the job, which then records its own
    // end: wait for both before stopping the server.
    for _ in 0..1800 {
        if state_of().await == exports::DONE && export_job().await.state == jobs::DONE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().ok();
    server.wait().ok();
    let job = export_job().await;
    assert_eq!(
        state_of().await,
        exports::DONE,
        "produced after the restart (its job: {job:?})"
    );
    println!("killed while {killed_in} (seen running: {seen_running}); {job:?}");
    assert_eq!(job.state, jobs::DONE);
    if killed_in == exports::RUNNING {
        assert_eq!(job.attempts, 2, "run again after the kill: {job:?}");
    }
    assert!(
        seen_running && killed_in != exports::DONE,
        "the kill landed after the export was done ({killed_in}): not a test of a crash"
    );
    let archives = app
        .engine
        .storage()
        .of(&alpha)
        .archives()
        .await
        .expect("the tenant's archives");
    assert_eq!(
        archives,
        vec![format!("{}.tar", export.id)],
        "one archive in the tenant's object storage, no partial one"
    );
}
