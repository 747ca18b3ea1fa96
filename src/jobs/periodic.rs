//! The platform's periodic work — domain re-checks, certificate renewal,
//! billing period close, purges after grace, retention — run once per period
//! across every instance, not once per instance.
//!
//! Each kind of work has a row in the catalog's `periodic_work` naming when it
//! is next due. An instance whose clock says a kind is due moves `next_due`
//! one period on in a single conditional update (`WHERE next_due <= now`);
//! only the instance whose update changed the row runs that period's work.
//! If that instance dies during the run, the period's work is lost and the
//! next period runs it again: every kind is a sweep that picks up what an
//! earlier run left.
//!
//! This is platform work, a separate type from [`super::TenantJob`]: it
//! names no tenant, and each sweep reaches tenants only through their own
//! contexts or the platform path.

use crate::entities::catalog::periodic_work as row;
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Work = dyn Fn(Engine) -> Pin<Box<dyn Future<Output = Result<u64>> + Send>> + Send + Sync;

/// One kind of periodic platform work.
#[derive(Clone)]
pub struct Periodic {
    name: &'static str,
    every: Duration,
    work: Arc<Work>,
    /// Whether a run is under way on this instance (a run longer than its
    /// period is not started a second time beside itself).
    running: Arc<AtomicBool>,
}

impl Periodic {
    /// `work` runs once every `every` across all instances; it answers how
    /// many things it did (logged when not zero).
    pub fn new<F, Fut>(name: &'static str, every: Duration, work: F) -> Self
    where
        F: Fn(Engine) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<u64>> + Send + 'static,
    {
        Self {
            name,
            every,
            work: Arc::new(move |engine| Box::pin(work(engine))),
            running: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Whether this instance takes the period of `name` due at `now`: moves its
/// `next_due` to `now + every` if it was due. Otherwise answers when it is
/// next due, as another instance set it.
pub async fn claim(
    engine: &Engine,
    name: &str,
    every: Duration,
    now: DateTime<Utc>,
    instance: &str,
) -> Result<Result<(), DateTime<Utc>>> {
    let every = chrono_of(every);
    engine
        .on_platform(PlatformUse::Maintenance("periodic"), async |db| {
            let taken = row::Entity::update_many()
                .col_expr(row::Column::NextDue, (now + every).into())
                .col_expr(row::Column::LastStartedAt, Some(now).into())
                .col_expr(row::Column::LastInstance, Some(instance.to_owned()).into())
                .filter(row::Column::Name.eq(name))
                .filter(row::Column::NextDue.lte(now))
                .exec(db)
                .await?;
            if taken.rows_affected == 1 {
                return Ok(Ok(()));
            }
            if let Some(row) = row::Entity::find_by_id(name.to_owned()).one(db).await? {
                return Ok(Err(row.next_due));
            }
            // First sight of this kind anywhere: the instance whose insert
            // lands takes its first period.
            let inserted = row::Entity::insert(row::ActiveModel {
                name: Set(name.to_owned()),
                next_due: Set(now + every),
                last_started_at: Set(Some(now)),
                last_instance: Set(Some(instance.to_owned())),
            })
            .on_conflict(
                OnConflict::column(row::Column::Name)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
            if inserted == 1 {
                return Ok(Ok(()));
            }
            let next = row::Entity::find_by_id(name.to_owned()).one(db).await?;
            Ok(Err(next.map_or(now + every, |r| r.next_due)))
        })
        .await
}

/// Runs `work` on this instance until `stop`: each kind whose period is due
/// here and that this instance claims runs in a task of its own, so a slow
/// kind does not hold up the others. A run under way when `stop` comes is
/// left to finish or to end with the process.
pub async fn run(engine: Engine, work: Vec<Periodic>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let instance = format!("instance-{}", uuid::Uuid::now_v7());
    let mut next_here: HashMap<&'static str, DateTime<Utc>> = HashMap::new();
    let tick = work
        .iter()
        .map(|w| w.every / 4)
        .min()
        .unwrap_or(Duration::from_secs(1))
        .clamp(Duration::from_millis(20), Duration::from_secs(1));
    loop {
        let now = Utc::now();
        for kind in &work {
            if next_here.get(kind.name).is_some_and(|due| *due > now) {
                continue;
            }
            if kind.running.load(Ordering::Acquire) {
                continue;
            }
            match claim(&engine, kind.name, kind.every, now, &instance).await {
                Ok(Ok(())) => {
                    next_here.insert(kind.name, now + chrono_of(kind.every));
                    start(&engine, kind);
                }
                Ok(Err(next)) => {
                    next_here.insert(kind.name, next);
                }
                Err(e) => {
                    tracing::error!(work = kind.name, error = ?e, "claiming periodic work failed")
                }
            }
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

fn start(engine: &Engine, kind: &Periodic) {
    kind.running.store(true, Ordering::Release);
    let (engine, kind) = (engine.clone(), kind.clone());
    tokio::spawn(async move {
        // Cleared however the run ends, a panic included.
        let _running = Running(kind.running.clone());
        // At debug: one line per kind and period is noise in production;
        // the multi-instance test reads it to see each period run once.
        tracing::debug!(
            work = kind.name,
            every_secs = kind.every.as_secs(),
            "periodic work started"
        );
        let span = tracing::info_span!("periodic", work = kind.name);
        match tracing::Instrument::instrument((kind.work)(engine), span).await {
            Ok(0) => {}
            Ok(done) => tracing::info!(work = kind.name, done, "periodic work done"),
            Err(e) => tracing::error!(
                work = kind.name,
                error = ?e,
                "periodic work failed; the next period runs it again"
            ),
        }
    });
}

struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn chrono_of(every: Duration) -> chrono::Duration {
    chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(1))
}
