//! Background jobs, each run inside the tenant it belongs to (see
//! `docs/jobs.md`).
//!
//! A job is a row of its tenant's `jobs` table, in the tenant's own plane:
//! behind the wall like the rest of the tenant's data, written in the same
//! transaction as the change that asks for it, and moved, exported and
//! purged with the tenant. The directory notes which tenants have jobs due
//! (`directory::Queue::Jobs`); a [`Runner`] on every instance visits them,
//! takes a tenant's due jobs under a lease, and runs each inside a context
//! of that tenant re-resolved when it runs.
//!
//! A [`TenantJob`] can only be enqueued with a [`TenantCtx`]: the tenant is
//! taken from the context and the row is written in that tenant's bound
//! transaction, so a job cannot be queued for no tenant or for another.

mod claim;
pub mod manage;
pub mod periodic;
mod runner;

pub use runner::{Registry, Runner};

use crate::config::Settings;
use crate::entities::search::{chosen, filter_word, in_time_order, Page, Place};
use crate::entities::tenant::job;
use crate::error::{Error, Result};
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{Engine, TenantCtx, TenantDb, TenantId, TenantRecord};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use tenantry_vocab::JobState;
use uuid::Uuid;

pub const QUEUED: &str = JobState::Queued.as_str();
pub const RUNNING: &str = JobState::Running.as_str();
pub const DONE: &str = JobState::Done.as_str();
/// Out of attempts: kept for a superadmin to look at and retry.
pub const DEAD: &str = JobState::Dead.as_str();
pub const CANCELLED: &str = JobState::Cancelled.as_str();

/// Work of one tenant. Its value is the job's payload (JSON); it runs in a
/// context of the tenant that enqueued it, and nowhere else.
pub trait TenantJob: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The job's kind, as stored: unique among jobs.
    const KIND: &'static str;
    /// Attempts before the job is dead.
    const MAX_ATTEMPTS: i32 = 5;
    /// Lower runs first among one tenant's due jobs.
    const PRIORITY: i32 = 100;
    /// Whether it runs while its tenant is suspended or pending: the
    /// platform's own work for the tenant (an export a superadmin asked for,
    /// a signup's confirmation mail), never work of the tenant's people,
    /// which waits until the tenant is active.
    const WHILE_SUSPENDED: bool = false;

    /// The first retry's delay in milliseconds, doubling per attempt: the
    /// deployment's `job_retry_base_ms` unless the kind has its own setting.
    fn retry_base_ms(settings: &Settings) -> u64 {
        settings.job_retry_base_ms
    }

    /// Does the work. An error is retried (with backoff) until the job is
    /// out of attempts. A job may run more than once (its runner died after
    /// the work, before recording it): its effects are keyed by `run.id`.
    fn run(self, ctx: &TenantCtx, run: &JobRun) -> impl Future<Output = Result<()>> + Send;
}

/// What a running job knows of itself.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub id: Uuid,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The attempts it has in all: this is its last when they are equal.
    pub max_attempts: i32,
}

impl JobRun {
    pub fn is_last(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// A job of one tenant, ready to be written: made only from that tenant's
/// context.
pub struct NewJob<J> {
    tenant: TenantId,
    job: J,
    idempotency_key: Option<String>,
    run_at: chrono::DateTime<chrono::Utc>,
    max_attempts: i32,
}

impl<J: TenantJob> NewJob<J> {
    pub fn new(ctx: &TenantCtx, job: J) -> Self {
        Self {
            tenant: ctx.id(),
            job,
            idempotency_key: None,
            run_at: chrono::Utc::now(),
            max_attempts: J::MAX_ATTEMPTS,
        }
    }

    /// Gives it `attempts` in all instead of the kind's `MAX_ATTEMPTS` (a
    /// kind whose limit is a setting).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = i32::try_from(attempts.max(1)).unwrap_or(i32::MAX);
        self
    }

    /// Names the job's effect: enqueuing a job with a key this tenant has
    /// used already adds nothing and answers the first job's id.
    pub fn once(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Runs no earlier than `at`.
    pub fn at(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.run_at = at;
        self
    }
}

/// A job written in a transaction that has not committed yet: once it has,
/// [`Written::announce`] tells the runners.
#[must_use = "announce the job once its transaction has committed"]
pub struct Written {
    pub id: Uuid,
    tenant: TenantId,
}

impl Written {
    /// Notes the tenant's job as due and wakes this instance's runner.
    pub async fn announce(self, ctx: &TenantCtx) -> Result<Uuid> {
        debug_assert_eq!(ctx.id(), self.tenant);
        note_due(ctx.engine(), self.tenant).await?;
        Ok(self.id)
    }
}

/// Notes that `tenant` has jobs due now and wakes this instance's runner:
/// for a writer that enqueued with [`enqueue_in`] inside a transaction it
/// returns no value from (a note before the commit is looked at again, see
/// `directory::work_due_now`).
pub(crate) async fn note_due(engine: &Engine, tenant: TenantId) -> Result<()> {
    directory::work_due_now(engine, Queue::Jobs, tenant).await?;
    runner::wake();
    Ok(())
}

/// Marks `tenant` in the directory as having a dead job (after the
/// transaction that killed it committed). A mark that cannot be written is
/// logged: the job is dead all the same, and the console's jobs page still
/// lists it.
pub(crate) async fn note_failed(engine: &Engine, tenant: TenantId) {
    if let Err(e) = directory::work_due_now(engine, Queue::FailedJobs, tenant).await {
        tracing::warn!(error = ?e, tenant_id = %tenant, "a dead job is not counted on the console overview");
    }
}

/// Lifts the mark when the tenant has no dead job left. The mark goes first
/// and is put back if one remains, so that a job dying meanwhile (which
/// marks after its commit) is never left unmarked.
pub(crate) async fn recount_failed(ctx: &TenantCtx) -> Result<()> {
    directory::work_gone(ctx.engine(), Queue::FailedJobs, ctx.id()).await?;
    let dead = ctx
        .run_for_platform(async |db| {
            Ok(job::Entity::find()
                .filter(job::Column::State.eq(DEAD))
                .one(db)
                .await?
                .is_some())
        })
        .await?;
    if dead {
        note_failed(ctx.engine(), ctx.id()).await;
    }
    Ok(())
}

/// Writes `new` in `db`, the transaction of the change that asks for it
/// (refused in another tenant's transaction).
pub async fn enqueue_in<J: TenantJob>(db: &TenantDb, new: NewJob<J>) -> Result<Written> {
    if db.tenant_id() != new.tenant {
        return Err(anyhow::anyhow!("a job of one tenant written in another's transaction").into());
    }
    let payload = serde_json::to_string(&new.job).map_err(anyhow::Error::from)?;
    if let Some(key) = &new.idempotency_key {
        let first = job::Entity::find()
            .filter(job::Column::IdempotencyKey.eq(key.as_str()))
            .one(db)
            .await?;
        if let Some(first) = first {
            return Ok(Written {
                id: first.id,
                tenant: new.tenant,
            });
        }
    }
    let id = Uuid::now_v7();
    db.insert(job::ActiveModel {
        id: Set(id),
        kind: Set(J::KIND.to_owned()),
        payload: Set(payload),
        state: Set(QUEUED.to_owned()),
        priority: Set(J::PRIORITY),
        run_at: Set(new.run_at),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts),
        lease_until: Set(None),
        leased_by: Set(None),
        idempotency_key: Set(new.idempotency_key),
        last_error: Set(None),
        created_at: Set(chrono::Utc::now()),
        finished_at: Set(None),
        ..Default::default()
    })
    .await?;
    Ok(Written {
        id,
        tenant: new.tenant,
    })
}

/// Enqueues `new` in a transaction of its own and announces it.
pub async fn enqueue<J: TenantJob>(ctx: &TenantCtx, new: NewJob<J>) -> Result<Uuid> {
    let written = ctx
        .run_for_platform(async |db| enqueue_in(db, new).await)
        .await?;
    written.announce(ctx).await
}

/// A job as the tenant's admins and superadmins see it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: Uuid,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: chrono::DateTime<chrono::Utc>,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The tenant's latest jobs, newest first (in any state of the tenant).
pub async fn list(ctx: &TenantCtx, limit: u64) -> Result<Vec<JobView>> {
    let rows = ctx
        .run(false, async |db| {
            Ok(job::Entity::find()
                .order_by_desc(job::Column::CreatedAt)
                .limit(limit)
                .all(db)
                .await?)
        })
        .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// The tenant's jobs a page at a time, from the `place` the reader stands
/// at; only those in `state` when one is named (its admins' pages, the
/// console).
pub async fn page_of(
    engine: &Engine,
    tenant: &TenantRecord,
    state: &str,
    place: &Place,
) -> Result<Page<JobView>> {
    let state = filter_word("state", state, JobState::parse, "not a job state")?;
    let select = job::Entity::find().filter(chosen(job::Column::State, state));
    let select = in_time_order(select, job::Column::CreatedAt, job::Column::Id, place)?;
    let rows = engine
        .ctx(tenant.clone())
        .run(false, async |db| Ok(select.all(db).await?))
        .await?;
    Ok(Page::cut(rows, |r| (r.created_at, r.id)).map(view))
}

/// One of the tenant's jobs, by id; another tenant's is not found.
pub async fn get(ctx: &TenantCtx, id: Uuid) -> Result<JobView> {
    ctx.run(false, async |db| {
        Ok(job::Entity::find()
            .filter(job::Column::Id.eq(id))
            .one(db)
            .await?)
    })
    .await?
    .map(view)
    .ok_or(Error::NotFound)
}

fn view(row: job::Model) -> JobView {
    JobView {
        id: row.id,
        kind: row.kind,
        state: row.state,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        run_at: row.run_at,
        last_error: row.last_error,
        created_at: row.created_at,
        finished_at: row.finished_at,
    }
}
