//! What superadmins do with jobs: the queue's picture across tenants (by
//! tenant and kind), retrying a dead or cancelled job, cancelling a queued
//! one. Each tenant's rows are read and changed in that tenant's own bound
//! transaction; changes are audited in the tenant's trail.

use super::{note_due, CANCELLED, DEAD, DONE, QUEUED, RUNNING};
use crate::audit;
use crate::entities::tenant::job;
use crate::error::{Error, Result};
use crate::tenancy::{Engine, TenantRecord};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use tenantry_vocab::JobState;
use uuid::Uuid;

/// Tenants the console's picture visits at most: beyond that it says so
/// (a fleet-wide count kept in the directory is later work).
pub const TENANTS_SHOWN: usize = 1000;

/// How many jobs of one kind one tenant has in each state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindCount {
    pub tenant: Uuid,
    pub slug: String,
    pub kind: String,
    pub queued: u64,
    pub running: u64,
    pub dead: u64,
    pub done: u64,
    pub cancelled: u64,
}

/// A job that wants a superadmin's eye (dead, or waiting), with its tenant.
#[derive(Debug, Clone, Serialize)]
pub struct Attention {
    pub slug: String,
    pub job: super::JobView,
}

/// The queue across tenants.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overview {
    pub counts: Vec<KindCount>,
    pub attention: Vec<Attention>,
    /// Live tenants not visited (beyond [`TENANTS_SHOWN`]).
    pub tenants_not_shown: usize,
}

/// Visits the live tenants (at most [`TENANTS_SHOWN`]) through their own
/// contexts: counts by kind and state, and their dead and queued jobs
/// (newest first, at most `attention` in all).
pub async fn overview(engine: &Engine, attention: usize) -> Result<Overview> {
    let ids = engine.live_tenants().await?;
    let mut out = Overview {
        tenants_not_shown: ids.len().saturating_sub(TENANTS_SHOWN),
        ..Default::default()
    };
    for tenant in ids.into_iter().take(TENANTS_SHOWN) {
        let Ok(ctx) = engine.ctx_for(tenant).await else {
            continue;
        };
        let (counts, waiting) = ctx
            .run_for_platform(async |db| {
                let counts: Vec<(String, String, i64)> = job::Entity::find()
                    .select_only()
                    .column(job::Column::Kind)
                    .column(job::Column::State)
                    .column_as(Expr::col(job::Column::Id).count(), "n")
                    .group_by(job::Column::Kind)
                    .group_by(job::Column::State)
                    .into_tuple()
                    .all(db)
                    .await?;
                let waiting = job::Entity::find()
                    .filter(job::Column::State.is_in([DEAD, QUEUED]))
                    .order_by_desc(job::Column::CreatedAt)
                    .limit(attention as u64)
                    .all(db)
                    .await?;
                Ok((counts, waiting))
            })
            .await?;
        let slug = ctx.tenant().slug.as_str().to_owned();
        out.counts.extend(tally(tenant.uuid(), &slug, counts));
        out.attention
            .extend(waiting.into_iter().map(|row| Attention {
                slug: slug.clone(),
                job: super::view(row),
            }));
    }
    out.attention
        .sort_by_key(|a| std::cmp::Reverse(a.job.created_at));
    out.attention.truncate(attention);
    Ok(out)
}

/// One row per kind from (kind, state, count) triples.
fn tally(tenant: Uuid, slug: &str, counts: Vec<(String, String, i64)>) -> Vec<KindCount> {
    let mut kinds: Vec<KindCount> = Vec::new();
    for (kind, state, n) in counts {
        let at = match kinds.iter().position(|k| k.kind == kind) {
            Some(at) => at,
            None => {
                kinds.push(KindCount {
                    tenant,
                    slug: slug.to_owned(),
                    kind,
                    ..Default::default()
                });
                kinds.len() - 1
            }
        };
        let n = u64::try_from(n).unwrap_or(0);
        let row = &mut kinds[at];
        match state.as_str() {
            QUEUED => row.queued += n,
            RUNNING => row.running += n,
            DEAD => row.dead += n,
            DONE => row.done += n,
            CANCELLED => row.cancelled += n,
            _ => {}
        }
    }
    kinds.sort_by(|a, b| a.kind.cmp(&b.kind));
    kinds
}

/// Queues a dead or cancelled job of the tenant again with a fresh set of
/// attempts; another tenant's job is not found.
pub async fn retry(engine: &Engine, tenant: &TenantRecord, id: Uuid, actor: &str) -> Result<()> {
    let ctx = engine.ctx(tenant.clone());
    ctx.run_for_platform(async |db| {
        let found = find(db, id).await?;
        if !JobState::parse(&found.state).is_some_and(JobState::can_retry) {
            return Err(Error::invalid(
                "job_id",
                "only a dead or cancelled job can be retried",
            ));
        }
        job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(QUEUED))
            .col_expr(job::Column::Attempts, Expr::value(0))
            .col_expr(job::Column::RunAt, Expr::value(chrono::Utc::now()))
            .col_expr(
                job::Column::FinishedAt,
                Expr::value(None::<chrono::DateTime<chrono::Utc>>),
            )
            .filter(job::Column::Id.eq(id))
            .exec(db)
            .await?;
        let detail = format!("{} {id}", found.kind);
        audit::record_tenant(db, actor, "job.retried", &detail).await
    })
    .await?;
    note_due(ctx.engine(), ctx.id()).await?;
    super::recount_failed(&ctx).await
}

/// Cancels a queued job of the tenant (a running one ends on its own);
/// another tenant's job is not found.
pub async fn cancel(engine: &Engine, tenant: &TenantRecord, id: Uuid, actor: &str) -> Result<()> {
    let ctx = engine.ctx(tenant.clone());
    ctx.run_for_platform(async |db| {
        let found = find(db, id).await?;
        let cancelled = job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(CANCELLED))
            .col_expr(
                job::Column::FinishedAt,
                Expr::value(Some(chrono::Utc::now())),
            )
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::State.eq(QUEUED))
            .exec(db)
            .await?;
        if cancelled.rows_affected == 0 {
            return Err(Error::invalid(
                "job_id",
                format!(
                    "only a queued job can be cancelled; this one is {}",
                    found.state
                ),
            ));
        }
        let detail = format!("{} {id}", found.kind);
        audit::record_tenant(db, actor, "job.cancelled", &detail).await
    })
    .await
}

async fn find(db: &crate::tenancy::TenantDb, id: Uuid) -> Result<job::Model> {
    job::Entity::find()
        .filter(job::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}
