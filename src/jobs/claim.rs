//! A tenant's job rows: taking the due ones under a lease (at most
//! `jobs_per_tenant` running across every instance), renewing a lease,
//! recording how a run ended. Every statement runs in the tenant's own bound
//! transaction.

use super::{CANCELLED, DEAD, DONE, QUEUED, RUNNING};
use crate::entities::tenant::job;
use crate::error::Result;
use crate::tenancy::{TenantCtx, TenantDb};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// How many of a tenant's jobs one pass may take, and which.
pub(super) struct Limits<'a> {
    /// Jobs of the tenant running at once, across every instance.
    pub per_tenant: u32,
    /// Free workers of this runner.
    pub room: usize,
    /// Only these kinds (a suspended tenant's), or any.
    pub only: Option<&'a [&'static str]>,
}

/// Takes the tenant's due jobs (queued and due, or running under a lease
/// that ran out: their runner died) for `runner` until `until`, within
/// `limits`; and when the tenant next has something for a runner (see
/// [`next_due`]): any job, and a job of the kinds `limits` allows.
pub(super) async fn take(
    ctx: &TenantCtx,
    limits: Limits<'_>,
    runner: &str,
    until: DateTime<Utc>,
) -> Result<(Vec<job::Model>, Next)> {
    let only = limits.only;
    ctx.run_for_platform(async |db| {
        let (taken, died) = match limits.room {
            0 => (Vec::new(), false),
            _ => take_in(db, limits, runner, until).await?,
        };
        let any = next_due(db, None).await?;
        let allowed = match only {
            None => any,
            Some(kinds) => next_due(db, Some(kinds)).await?,
        };
        let queued = queued_by_kind(db).await?;
        Ok((
            taken,
            Next {
                any,
                allowed,
                died,
                queued,
            },
        ))
    })
    .await
}

/// When a tenant's next job is due: any job, and one of the allowed kinds.
pub(super) struct Next {
    pub any: Option<DateTime<Utc>>,
    pub allowed: Option<DateTime<Utc>>,
    /// A job taken was out of attempts and is now dead.
    pub died: bool,
    /// The jobs still waiting, per kind (the queue-depth metric).
    pub queued: Vec<(String, u64)>,
}

/// The tenant's waiting jobs per kind.
async fn queued_by_kind(db: &TenantDb) -> Result<Vec<(String, u64)>> {
    let counts: Vec<(String, i64)> = job::Entity::find()
        .select_only()
        .column(job::Column::Kind)
        .column_as(job::Column::Id.count(), "waiting")
        .filter(job::Column::State.eq(QUEUED))
        .group_by(job::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .map(|(kind, n)| (kind, u64::try_from(n).unwrap_or(0)))
        .collect())
}

async fn take_in(
    db: &TenantDb,
    limits: Limits<'_>,
    runner: &str,
    until: DateTime<Utc>,
) -> Result<(Vec<job::Model>, bool)> {
    let Limits {
        per_tenant,
        room,
        only,
    } = limits;
    {
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        if postgres {
            // Runners on other instances count and take this tenant's jobs
            // one after the other (SQLite has one writer per file anyway).
            db.execute_unprepared(
                "SELECT pg_advisory_xact_lock(hashtextextended(current_setting('app.tenant_id'), 20))",
            )
            .await?;
        }
        let now = Utc::now();
        let running = job::Entity::find()
            .filter(job::Column::State.eq(RUNNING))
            .filter(job::Column::LeaseUntil.gte(now))
            .count(db)
            .await?;
        let room = Ord::min(u64::from(per_tenant).saturating_sub(running), room as u64);
        if room == 0 {
            return Ok((Vec::new(), false));
        }
        let mut due = Condition::any()
            .add(
                job::Column::State
                    .eq(QUEUED)
                    .and(job::Column::RunAt.lte(now)),
            )
            .add(
                job::Column::State
                    .eq(RUNNING)
                    .and(job::Column::LeaseUntil.lt(now)),
            );
        if let Some(kinds) = only {
            due = Condition::all()
                .add(due)
                .add(job::Column::Kind.is_in(kinds.iter().copied()));
        }
        let mut ids = job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .filter(due)
            .order_by_asc(job::Column::Priority)
            .order_by_asc(job::Column::RunAt)
            .order_by_asc(job::Column::Id)
            .limit(room);
        if postgres {
            ids = ids.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let ids: Vec<Uuid> = ids.into_tuple().all(db).await?;
        if ids.is_empty() {
            return Ok((Vec::new(), false));
        }
        job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(RUNNING))
            .col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).add(1),
            )
            .col_expr(job::Column::LeaseUntil, Expr::value(Some(until)))
            .col_expr(job::Column::LeasedBy, Expr::value(Some(runner.to_owned())))
            .filter(job::Column::Id.is_in(ids.clone()))
            .exec(db)
            .await?;
        let taken = job::Entity::find()
            .filter(job::Column::Id.is_in(ids))
            .order_by_asc(job::Column::Priority)
            .order_by_asc(job::Column::RunAt)
            .all(db)
            .await?;
        // A job whose runner died during its last attempt is out of them.
        let (live, spent): (Vec<_>, Vec<_>) = taken
            .into_iter()
            .partition(|job| job.attempts <= job.max_attempts);
        let died = !spent.is_empty();
        for job in spent {
            let why = "its runner stopped during its last attempt";
            end(db, job.id, DEAD, Some(why)).await?;
        }
        Ok((live, died))
    }
}

/// Extends `runner`'s lease on a job it is running; false once the job is
/// no longer its own.
pub(super) async fn renew(
    ctx: &TenantCtx,
    id: Uuid,
    runner: &str,
    until: DateTime<Utc>,
) -> Result<bool> {
    ctx.run_for_platform(async |db| {
        let renewed = job::Entity::update_many()
            .col_expr(job::Column::LeaseUntil, Expr::value(Some(until)))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::State.eq(RUNNING))
            .filter(job::Column::LeasedBy.eq(runner))
            .exec(db)
            .await?;
        Ok(renewed.rows_affected == 1)
    })
    .await
}

/// How a run ended.
pub(super) enum Outcome {
    Done,
    /// Failed: tried again at `retry_at`, or dead when out of attempts.
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// Not finished (the instance is stopping): back in the queue, the
    /// attempt not counted.
    Released,
}

/// Records how `runner`'s run of job `id` ended (nothing if the job was
/// taken from it meanwhile); true when the job is now dead.
pub(super) async fn finish(
    ctx: &TenantCtx,
    id: Uuid,
    runner: &str,
    outcome: Outcome,
) -> Result<bool> {
    ctx.run_for_platform(async |db| {
        let Some(job) = job::Entity::find()
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::State.eq(RUNNING))
            .filter(job::Column::LeasedBy.eq(runner))
            .one(db)
            .await?
        else {
            return Ok(false);
        };
        match outcome {
            Outcome::Done => end(db, id, DONE, None).await.map(|()| false),
            Outcome::Failed { error, .. } if job.attempts >= job.max_attempts => {
                end(db, id, DEAD, Some(&error)).await.map(|()| true)
            }
            Outcome::Failed { error, retry_at } => {
                requeue(db, id, retry_at, Some(error), job.attempts)
                    .await
                    .map(|()| false)
            }
            Outcome::Released => requeue(db, id, Utc::now(), job.last_error, job.attempts - 1)
                .await
                .map(|()| false),
        }
    })
    .await
}

async fn requeue(
    db: &TenantDb,
    id: Uuid,
    at: DateTime<Utc>,
    error: Option<String>,
    attempts: i32,
) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(QUEUED))
        .col_expr(job::Column::RunAt, Expr::value(at))
        .col_expr(job::Column::Attempts, Expr::value(Ord::max(attempts, 0)))
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(job::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(job::Column::LeasedBy, Expr::value(None::<String>))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn end(db: &TenantDb, id: Uuid, state: &str, error: Option<&str>) -> Result<()> {
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state))
        .col_expr(job::Column::FinishedAt, Expr::value(Some(Utc::now())))
        .col_expr(job::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(job::Column::LeasedBy, Expr::value(None::<String>));
    if let Some(error) = error {
        update = update.col_expr(job::Column::LastError, Expr::value(Some(error.to_owned())));
    }
    update.filter(job::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// When the tenant next has something for a runner: its earliest queued
/// job, or the earliest lease to run out.
async fn next_due(db: &TenantDb, only: Option<&[&'static str]>) -> Result<Option<DateTime<Utc>>> {
    {
        let of_kinds = match only {
            Some(kinds) => Condition::all().add(job::Column::Kind.is_in(kinds.iter().copied())),
            None => Condition::all(),
        };
        let queued = job::Entity::find()
            .filter(of_kinds.clone())
            .filter(job::Column::State.eq(QUEUED))
            .order_by_asc(job::Column::RunAt)
            .one(db)
            .await?
            .map(|job| job.run_at);
        let leased = job::Entity::find()
            .filter(of_kinds)
            .filter(job::Column::State.eq(RUNNING))
            .order_by_asc(job::Column::LeaseUntil)
            .one(db)
            .await?
            .and_then(|job| job.lease_until);
        Ok(queued.into_iter().chain(leased).min())
    }
}

/// Ends every job of a deleted tenant that has not run: none runs for it.
pub(super) async fn cancel_all(ctx: &TenantCtx) -> Result<u64> {
    ctx.run_for_platform(async |db| {
        let cancelled = job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(CANCELLED))
            .col_expr(job::Column::FinishedAt, Expr::value(Some(Utc::now())))
            .filter(job::Column::State.is_in([QUEUED, RUNNING]))
            .exec(db)
            .await?;
        Ok(cancelled.rows_affected)
    })
    .await
}
