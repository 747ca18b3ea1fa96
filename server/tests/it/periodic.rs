//! Issue 20: the platform's periodic work runs once per period across N
//! instances. Two engines on one database (two instances) each run the
//! periodic loop with the same work; every period's work runs once, not
//! once per instance; and of many instances claiming one period at the same
//! moment, exactly one takes it.

use crate::harness::TestApp;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenantry::jobs::periodic::{self, Periodic};
use tenantry::tenancy::Engine;

const EVERY: Duration = Duration::from_millis(400);

/// A periodic work that notes the moment each of its runs starts.
fn noting(runs: &Arc<Mutex<Vec<Instant>>>) -> Periodic {
    let runs = runs.clone();
    Periodic::new("test.noting", EVERY, move |_: Engine| {
        runs.lock().expect("runs").push(Instant::now());
        async { Ok(1) }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_run_each_period_once_on_postgres() {
    let app = TestApp::postgres().await;
    let other = app.with_settings(&[]).await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let loops = [app.engine.clone(), other].map(|engine| {
        let mut stopped = stopped.clone();
        tokio::spawn(periodic::run(engine, vec![noting(&runs)], async move {
            let _ = stopped.wait_for(|s| *s).await;
        }))
    });
    let began = Instant::now();
    tokio::time::sleep(EVERY * 6 + EVERY / 2).await;
    stop.send(true).expect("stop");
    for l in loops {
        l.await.expect("loop ends on stop");
    }
    let elapsed = began.elapsed();
    let mut runs = runs.lock().expect("runs").clone();
    runs.sort();
    let periods = (elapsed.as_millis() / EVERY.as_millis()) as usize + 1;
    assert!(
        (4..=periods).contains(&runs.len()),
        "{} runs in {elapsed:?} with two instances: once per {EVERY:?} is at most {periods}",
        runs.len()
    );
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= EVERY / 2,
            "two runs {gap:?} apart: a period ran twice ({runs:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_many_instances_claiming_one_period_exactly_one_takes_it_on_postgres() {
    let app = TestApp::postgres().await;
    let other = app.with_settings(&[]).await;
    claims_race(&[app.engine.clone(), other]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_many_claims_of_one_period_exactly_one_takes_it_on_sqlite() {
    let app = TestApp::sqlite().await;
    claims_race(std::slice::from_ref(&app.engine)).await;
}

async fn claims_race(engines: &[Engine]) {
    let now = chrono::Utc::now();
    let claims = (0..12).map(|i| {
        let engine = engines[i % engines.len()].clone();
        tokio::spawn(async move {
            periodic::claim(&engine, "test.race", EVERY, now, &format!("instance-{i}")).await
        })
    });
    let mut taken = 0;
    for claim in claims {
        match claim.await.expect("claim task").expect("claim") {
            Ok(()) => taken += 1,
            // (PostgreSQL keeps microseconds.)
            Err(next) => assert!(
                (next - (now + period())).abs() < chrono::Duration::milliseconds(1),
                "the others learn when the next period is due, not {next}"
            ),
        }
    }
    assert_eq!(taken, 1, "one instance takes the period");
    // The next period is not due before its time, and is taken once then.
    let early = periodic::claim(&engines[0], "test.race", EVERY, now, "late").await;
    assert!(
        early.expect("claim").is_err(),
        "not due again within the period"
    );
    let later = now + period();
    let next = periodic::claim(&engines[0], "test.race", EVERY, later, "next").await;
    assert!(
        next.expect("claim").is_ok(),
        "taken once its period has come"
    );
}

fn period() -> chrono::Duration {
    chrono::Duration::from_std(EVERY).expect("a short period")
}
