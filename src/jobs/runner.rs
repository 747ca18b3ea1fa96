//! The runner: one per instance. Each pass visits the tenants the directory
//! notes jobs due for (earliest first, at most `TENANTS_PER_PASS`), takes
//! each one's due jobs within `jobs_per_tenant` and the free workers, and
//! runs them inside a context of their tenant re-resolved for the pass:
//! a suspended or pending tenant's jobs wait, a deleted tenant's are
//! cancelled, none ever runs unbound or in another tenant. A tenant takes
//! at most `jobs_per_tenant` workers, so one tenant's flood cannot keep
//! the others' jobs waiting for more than one pass behind it.

use super::claim::{self, Outcome};
use super::{JobRun, TenantJob};
use crate::config::Settings;
use crate::entities::tenant::job;
use crate::error::Result;
use crate::observe::cpu::{CpuSpent, CpuTimed};
use crate::observe::JobEnd;
use crate::tenancy::directory::{self, NextDue, Queue};
use crate::tenancy::{Engine, TenantCtx, TenantState};
use chrono::Utc;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;
use uuid::Uuid;

/// Tenants one pass visits at most.
const TENANTS_PER_PASS: u64 = 100;
/// How long the jobs of a suspended or pending tenant wait before they are
/// looked at again.
const INACTIVE_WAIT_SECS: i64 = 60;
/// The longest error text a job keeps.
const MAX_ERROR_CHARS: usize = 500;

/// Wakes this process's runners: a job was enqueued or one ended.
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

pub(super) fn wake() {
    WAKE.notify_waiters();
}

type Handler =
    Arc<dyn Fn(TenantCtx, JobRun, String) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// The job kinds a runner runs, by kind.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
    /// The kinds that run while their tenant is suspended.
    while_suspended: Vec<&'static str>,
    /// Each kind's first retry delay (`TenantJob::retry_base_ms`).
    retry_base: HashMap<&'static str, fn(&Settings) -> u64>,
}

impl Registry {
    /// Adds the tenant job `J`.
    pub fn tenant<J: TenantJob>(mut self) -> Self {
        let handler: Handler = Arc::new(|ctx, run, payload| {
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload).map_err(anyhow::Error::from)?;
                job.run(&ctx, &run).await
            })
        });
        self.handlers.insert(J::KIND, handler);
        self.retry_base.insert(J::KIND, J::retry_base_ms);
        if J::WHILE_SUSPENDED {
            self.while_suspended.push(J::KIND);
        }
        self
    }
}

/// Runs the jobs of every tenant; clones share it.
#[derive(Clone)]
pub struct Runner(Arc<Inner>);

struct Inner {
    engine: Engine,
    registry: Registry,
    /// Names this runner's leases.
    name: String,
    workers: u32,
    slots: Arc<Semaphore>,
    /// The jobs running here, to put back if the instance stops first.
    running: Mutex<HashMap<Uuid, TenantCtx>>,
}

impl Runner {
    pub fn new(engine: Engine, registry: Registry) -> Self {
        let workers = engine.settings().job_workers.max(1);
        Self(Arc::new(Inner {
            engine,
            registry,
            name: format!("runner-{}", Uuid::now_v7()),
            workers,
            slots: Arc::new(Semaphore::new(workers as usize)),
            running: Mutex::new(HashMap::new()),
        }))
    }

    /// Runs passes until `stop`; then lets the jobs running here finish
    /// within `grace` and puts back in the queue those that did not.
    pub async fn run(self, stop: impl Future<Output = ()>, grace: Duration) {
        tokio::pin!(stop);
        let poll = Duration::from_millis(self.0.engine.settings().job_poll_ms.max(10));
        loop {
            let woken = WAKE.notified();
            if let Err(e) = self.pass().await {
                tracing::error!(error = ?e, "a pass over the jobs failed");
            }
            tokio::select! {
                _ = &mut stop => break,
                _ = woken => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        self.drain(grace).await;
    }

    /// One pass: starts the due jobs it can; how many it started.
    pub async fn pass(&self) -> Result<usize> {
        directory::visit_due(&self.0.engine, Queue::Jobs, TENANTS_PER_PASS, |ctx| {
            let runner = self.clone();
            async move { runner.visit(ctx).await }
        })
        .await
    }

    /// Whether no job is running here.
    pub fn is_idle(&self) -> bool {
        self.lock_running().is_empty()
    }

    async fn visit(&self, ctx: TenantCtx) -> Result<(usize, NextDue)> {
        let now = Utc::now();
        let later = now + chrono::Duration::seconds(INACTIVE_WAIT_SECS);
        let wait = Some(later);
        let only: Option<&[&str]> = match ctx.tenant().state {
            TenantState::Active => None,
            TenantState::Deleted => {
                let cancelled = claim::cancel_all(&ctx).await?;
                tracing::info!(tenant_id = %ctx.id(), cancelled, "jobs of a deleted tenant cancelled");
                return Ok((0, None));
            }
            // A pending tenant (a signup awaiting its owner's confirmation)
            // runs the same kinds: its confirmation mail is one.
            TenantState::Suspended | TenantState::Pending
                if !self.0.registry.while_suspended.is_empty() =>
            {
                Some(&self.0.registry.while_suspended)
            }
            TenantState::Suspended | TenantState::Pending => return Ok((0, wait)),
        };
        let settings = self.0.engine.settings();
        let limits = claim::Limits {
            per_tenant: settings.jobs_per_tenant,
            room: self.0.slots.available_permits(),
            only,
        };
        let until = now + lease(&self.0.engine);
        let (taken, mut next) = claim::take(&ctx, limits, &self.0.name, until).await?;
        if next.died {
            super::note_failed(&self.0.engine, ctx.id()).await;
        }
        let observer = self.0.engine.observer();
        observer.jobs_queued(ctx.id().uuid(), std::mem::take(&mut next.queued));
        let started = taken.len();
        for job in taken {
            // Passes run one at a time and only they take permits, so the
            // room counted above is still free.
            let permit = self.0.slots.clone().acquire_owned().await;
            let permit = permit.map_err(anyhow::Error::from)?;
            self.start(ctx.clone(), job, permit);
        }
        // A suspended tenant's jobs of the kinds it runs are looked at when
        // due; its other jobs again later (it may be resumed meanwhile).
        Ok((
            started,
            match only {
                Some(_) => next
                    .any
                    .map(|_| next.allowed.map_or(later, |allowed| allowed.min(later))),
                None => next.any,
            },
        ))
    }

    fn start(&self, ctx: TenantCtx, job: job::Model, permit: OwnedSemaphorePermit) {
        self.lock_running().insert(job.id, ctx.clone());
        let runner = self.clone();
        let span = tracing::info_span!(
            "job",
            tenant_id = %ctx.id(),
            job_id = %job.id,
            kind = %job.kind
        );
        tokio::spawn(
            async move {
                let id = job.id;
                if runner.execute(&ctx, job).await {
                    super::note_failed(&runner.0.engine, ctx.id()).await;
                }
                runner.lock_running().remove(&id);
                drop(permit);
                // The directory said "when this lease runs out"; the tenant
                // may have more now (a retry, the next job), and a worker is
                // free: the next pass looks.
                let noted = directory::work_due_now(&runner.0.engine, Queue::Jobs, ctx.id()).await;
                if let Err(e) = noted {
                    tracing::warn!(error = ?e, "the tenant's next jobs wait for the lease to run out");
                }
                wake();
            }
            .instrument(span),
        );
    }

    /// Runs the job and records how it ended; true when it is now dead.
    async fn execute(&self, ctx: &TenantCtx, job: job::Model) -> bool {
        let run = JobRun {
            id: job.id,
            attempt: job.attempts,
            max_attempts: job.max_attempts,
        };
        let started = std::time::Instant::now();
        let cpu = CpuSpent::default();
        let outcome = match self.0.registry.handlers.get(job.kind.as_str()).cloned() {
            // Another instance, running other code, may know it.
            None => Err(anyhow::anyhow!("no handler for job kind {:?} here", job.kind).into()),
            Some(handler) => {
                let renewal = self.keep_leased(ctx.clone(), job.id);
                // Its own task, so that a panic is a failed attempt.
                let handled = handler(ctx.clone(), run, job.payload);
                let work = tokio::spawn(CpuTimed::new(handled, cpu.clone()));
                let result = match work.await {
                    Ok(result) => result,
                    Err(_) => Err(anyhow::anyhow!("the job panicked").into()),
                };
                renewal.abort();
                result
            }
        };
        let outcome = match outcome {
            Ok(()) => {
                tracing::info!(attempt = job.attempts, "job done");
                Outcome::Done
            }
            Err(e) => {
                tracing::warn!(attempt = job.attempts, error = ?e, "job attempt failed");
                let settings = self.0.engine.settings();
                let base = match self.0.registry.retry_base.get(job.kind.as_str()) {
                    Some(base_of) => base_of(settings),
                    None => settings.job_retry_base_ms,
                };
                Outcome::Failed {
                    error: error_text(&e),
                    retry_at: Utc::now() + crate::retry::backoff(base, job.attempts),
                }
            }
        };
        let failed = matches!(outcome, Outcome::Failed { .. });
        let finished = claim::finish(ctx, job.id, &self.0.name, outcome).await;
        let end = match (failed, &finished) {
            (false, _) => JobEnd::Done,
            (true, Ok(true)) => JobEnd::Dead,
            (true, _) => JobEnd::Failed,
        };
        let observer = self.0.engine.observer();
        observer.job(
            &job.kind,
            Some(ctx.id().uuid()),
            started.elapsed(),
            cpu.get(),
            end,
        );
        match finished {
            Ok(died) => died,
            Err(e) => {
                // The lease runs out and another pass takes the job again.
                tracing::error!(error = ?e, "a job's end could not be recorded");
                false
            }
        }
    }

    /// Renews the lease of a running job every third of its length.
    fn keep_leased(&self, ctx: TenantCtx, id: Uuid) -> tokio::task::AbortHandle {
        let runner = self.clone();
        let lease = lease(&self.0.engine);
        let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(1));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let until = Utc::now() + lease;
                match claim::renew(&ctx, id, &runner.0.name, until).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(job_id = %id, error = ?e, "a job's lease was not renewed")
                    }
                }
            }
        })
        .abort_handle()
    }

    /// Waits for the jobs running here, within `grace`; puts back the rest.
    async fn drain(&self, grace: Duration) {
        let running: Vec<Uuid> = self.lock_running().keys().copied().collect();
        if !running.is_empty() {
            // Said once, so that a slow stop is explained in the log.
            tracing::info!(jobs = ?running, grace_secs = grace.as_secs(), "stopping: waiting for running jobs");
        }
        let all = self.0.slots.acquire_many(self.0.workers);
        if tokio::time::timeout(grace, all).await.is_ok() {
            return;
        }
        let left: Vec<(Uuid, TenantCtx)> = self.lock_running().drain().collect();
        for (id, ctx) in left {
            if let Err(e) = claim::finish(&ctx, id, &self.0.name, Outcome::Released).await {
                tracing::error!(job_id = %id, error = ?e, "a running job was not put back; its lease will run out");
            }
        }
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, TenantCtx>> {
        self.0.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a failed attempt keeps for the jobs pages (superadmins'): an
/// unexpected error's own chain, which the public error hides.
fn error_text(e: &crate::Error) -> String {
    let text = match e {
        crate::Error::Unexpected(inner) => format!("{inner:#}"),
        other => other.to_string(),
    };
    text.chars().take(MAX_ERROR_CHARS).collect()
}

fn lease(engine: &Engine) -> chrono::Duration {
    let secs = engine.settings().job_lease_secs.max(1);
    chrono::Duration::seconds(i64::try_from(secs).unwrap_or(60))
}
