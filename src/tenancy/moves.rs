//! Moving a live tenant between placements (Postgres).
//!
//! Steps, each recorded in `tenant_moves.step` before it starts:
//!
//! 1. `provisioning` — the target is created (from the templates) or, on the
//!    pool, cleared of leftovers.
//! 2. `copying` — the rows are copied table by table from one consistent
//!    snapshot of the source while the tenant keeps serving.
//! 3. `catching_up` — rows written meanwhile are found by per-row hashes and
//!    synced, until both sides' counts and checksums agree.
//! 4. `frozen` — writers are held off by the tenant's advisory lock (readers
//!    are not); the last changes are synced; counts and checksums are verified
//!    per table; the catalog switches to the target and the source is fenced;
//!    the lock is released. Waiting writers then retry on the target.
//! 5. `cleaning` — after a barrier that waits out readers of the source, the
//!    old copy is removed.
//!
//! A crash before the switch leaves the catalog on the source (complete: it
//! never stopped serving); re-running the move starts again from step 1, and
//! `rollback` removes the partial target. A crash after the switch leaves the
//! catalog on the target (verified complete); re-running finishes the fence and
//! the clean-up. Either way the tenant is served from exactly one complete
//! placement.

use super::engine::{connect_pool, delete_tenant_rows};
use super::{fleet, postgres, Engine, Placement, PlatformUse, Slug, TenantId, TenantRecord};

use super::failpoint;
use super::platform_audit as audit;
use crate::config::Backend;
use crate::entities::catalog::tenant_move;
use crate::error::{violated_unique_constraint, Error, Result};
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel, QueryFilter, QueryOrder, Set,
    Statement, TransactionTrait,
};
use std::collections::HashMap;
use std::time::Instant;
use tenantry_migrations::TENANT_TABLES;

/// Moves are the platform's records (`tenant_moves` is platform-scoped).
mod mover;
mod rows;

use mover::*;

const SCOPE: PlatformUse = PlatformUse::Maintenance("moves");

/// Rows per insert statement while copying.
const BATCH: usize = 2_000;

/// How a move stands, for the CLI and the console.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoveStatus {
    pub id: uuid::Uuid,
    pub from: Placement,
    pub to: Placement,
    /// The clusters at each end (`None`: the home cluster).
    pub from_cluster: Option<String>,
    pub to_cluster: Option<String>,
    pub step: String,
    pub rows_total: i64,
    pub rows_copied: i64,
    pub freeze_ms: Option<i64>,
    pub error: Option<String>,
    pub finished: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl MoveStatus {
    fn from_model(m: tenant_move::Model) -> Self {
        Self {
            id: m.id,
            from: Placement::parse(&m.from_placement).unwrap_or(Placement::Pool),
            to: Placement::parse(&m.to_placement).unwrap_or(Placement::Pool),
            from_cluster: m.from_cluster,
            to_cluster: m.to_cluster,
            step: m.step,
            rows_total: m.rows_total,
            rows_copied: m.rows_copied,
            freeze_ms: m.freeze_ms,
            error: m.error,
            finished: m.finished_at.is_some(),
            started_at: m.started_at,
        }
    }
}

/// The latest move of a tenant, finished or not.
pub async fn latest(engine: &Engine, tenant: TenantId) -> Result<Option<MoveStatus>> {
    let latest = tenant_move::Entity::find()
        .filter(tenant_move::Column::Tenant.eq(tenant.uuid()))
        .order_by_desc(tenant_move::Column::StartedAt);
    let found = engine
        .on_platform(SCOPE, async |db| Ok(latest.one(db).await?))
        .await?;
    Ok(found.map(MoveStatus::from_model))
}

/// One move by id.
pub async fn status(engine: &Engine, id: uuid::Uuid) -> Result<Option<MoveStatus>> {
    let found = engine
        .on_platform(SCOPE, async |db| {
            Ok(tenant_move::Entity::find_by_id(id).one(db).await?)
        })
        .await?;
    Ok(found.map(MoveStatus::from_model))
}

/// Where a move goes.
#[derive(Debug, Clone)]
pub struct Destination {
    pub placement: Placement,
    /// The cluster, by name; `None`: the tenant's own.
    pub cluster: Option<String>,
    /// A superadmin's reason to take the tenant's data out of its region;
    /// without one such a move is refused.
    pub leave_region: Option<String>,
}

impl Destination {
    /// Another placement on the tenant's own cluster.
    pub fn placement(placement: Placement) -> Self {
        Self {
            placement,
            cluster: None,
            leave_region: None,
        }
    }
}

/// Records a move of `slug` to `to` on its own cluster (see [`plan_to`]).
pub async fn plan(
    engine: &Engine,
    raw_slug: &str,
    to: Placement,
    actor: &str,
) -> Result<uuid::Uuid> {
    plan_to(engine, raw_slug, &Destination::placement(to), actor).await
}

/// Records a move of `slug` to `to` (or picks up the unfinished one, which
/// must be headed the same way) and returns its id; [`run`] carries it out.
/// A move into another region is refused unless it carries a reason, which
/// the platform audit keeps.
pub async fn plan_to(
    engine: &Engine,
    raw_slug: &str,
    destination: &Destination,
    actor: &str,
) -> Result<uuid::Uuid> {
    let to = destination.placement;
    if engine.backend() != Backend::Postgres {
        return Err(Error::invalid(
            "to",
            "moves between placements need Postgres; the embedded SQLite default keeps one file per tenant",
        ));
    }
    let tenant = record_of(engine, raw_slug).await?;
    let clusters = engine.clusters();
    let to_cluster = match &destination.cluster {
        Some(name) => clusters
            .stored(name.trim())
            .map_err(|_| Error::invalid("cluster", format!("no cluster is named {name:?}")))?,
        None => tenant.cluster.clone(),
    };
    if let Some(open) = open_move(engine, tenant.id).await? {
        if open.to_placement != to.as_str() || open.to_cluster != to_cluster {
            return Err(Error::conflict(
                "to",
                format!(
                    "an unfinished move to {} exists; resume it or roll it back first",
                    open.to_placement
                ),
            ));
        }
        return Ok(open.id);
    }
    if !matches!(
        tenant.state,
        super::TenantState::Active | super::TenantState::Suspended
    ) {
        return Err(Error::invalid(
            "slug",
            "only active or suspended tenants can move",
        ));
    }
    if tenant.placement == to && tenant.cluster == to_cluster {
        return Err(Error::invalid(
            "to",
            format!(
                "the tenant is already in the {} placement on cluster {}",
                to.as_str(),
                clusters.name_of(to_cluster.as_deref())
            ),
        ));
    }
    let from_region = clusters.region_of(tenant.cluster.as_deref())?.to_owned();
    let to_region = clusters.region_of(to_cluster.as_deref())?.to_owned();
    let leave_reason = destination
        .leave_region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if from_region != to_region {
        match leave_reason {
            None => {
                return Err(Error::invalid(
                    "cluster",
                    format!(
                        "the tenant's data stays in region {from_region}: moving it to region \
                         {to_region} needs a superadmin's reason"
                    ),
                ))
            }
            Some(reason) if reason.chars().count() > 500 => {
                return Err(Error::invalid("reason", "must be at most 500 characters"))
            }
            Some(_) => {}
        }
    }
    engine.owner_for_ddl().await?;
    engine.owner_on(to_cluster.as_deref()).await?;
    let now = chrono::Utc::now();
    let id = uuid::Uuid::now_v7();
    let platform = engine.platform(SCOPE).await?;
    tenant_move::ActiveModel {
        id: Set(id),
        tenant: Set(tenant.id.uuid()),
        from_placement: Set(tenant.placement.as_str().into()),
        from_location: Set(tenant.location.clone()),
        to_placement: Set(to.as_str().into()),
        to_location: Set(engine.location_for(tenant.id, to)),
        from_cluster: Set(tenant.cluster.clone()),
        to_cluster: Set(to_cluster.clone()),
        step: Set("planned".into()),
        rows_total: Set(0),
        rows_copied: Set(0),
        freeze_ms: Set(None),
        error: Set(None),
        started_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&platform)
    .await
    .map_err(|e| match violated_unique_constraint(&e).as_deref() {
        Some("tenant_moves_open_idx") => {
            Error::conflict("to", "a move of this tenant is already in progress")
        }
        _ => e.into(),
    })?;
    platform.commit().await?;
    let from_name = clusters.name_of(tenant.cluster.as_deref());
    let to_name = clusters.name_of(to_cluster.as_deref());
    let detail = format!(
        "{}@{from_name} -> {}@{to_name}",
        tenant.placement.as_str(),
        to.as_str()
    );
    audit::record(
        engine,
        actor,
        "tenant.move_started",
        Some(tenant.id),
        &detail,
    )
    .await?;
    if from_region != to_region {
        let reason = leave_reason.unwrap_or_default();
        let detail = format!("{from_region} -> {to_region} ({to_name}): {reason}");
        audit::record(
            engine,
            actor,
            "tenant.region_left",
            Some(tenant.id),
            &detail,
        )
        .await?;
    }
    Ok(id)
}

/// Carries out (or resumes) a planned move to its end.
pub async fn run(engine: &Engine, move_id: uuid::Uuid) -> Result<MoveStatus> {
    let m = load(engine, move_id).await?;
    let tenant_id = TenantId::from_uuid(m.tenant);
    // One mover per tenant: a session lock on a connection of its own, which
    // a crashed mover's connection takes with it.
    let guard = connect_pool(&engine.settings().owner_url(), Backend::Postgres, 1).await?;
    let locked = guard
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_lock(3, hashtext($1::text)) AS ok",
            [tenant_id.uuid().into()],
        ))
        .await?
        .map(|r| r.try_get::<bool>("", "ok"))
        .transpose()?
        .unwrap_or(false);
    if !locked {
        guard.close().await?;
        return Err(Error::conflict(
            "to",
            "another process is moving this tenant right now",
        ));
    }
    let mover = Mover::new(engine, m).await?;
    let outcome = mover.drive().await;
    mover.close().await;
    guard.close().await?;
    if let Err(e) = &outcome {
        let message = match e {
            Error::Unexpected(cause) => format!("{cause:#}"),
            other => other.to_string(),
        };
        set(engine, move_id, |m| m.error = Set(Some(message))).await?;
    }
    outcome?;
    Ok(MoveStatus::from_model(load(engine, move_id).await?))
}

/// Plans and runs a move in one call (the CLI).
pub async fn move_tenant(
    engine: &Engine,
    slug: &str,
    to: Placement,
    actor: &str,
) -> Result<MoveStatus> {
    let id = plan(engine, slug, to, actor).await?;
    run(engine, id).await
}

/// Abandons an unfinished move that has not switched yet: removes the
/// partial target. The tenant stays where it is.
pub async fn rollback(engine: &Engine, raw_slug: &str, actor: &str) -> Result<MoveStatus> {
    let tenant = record_of(engine, raw_slug).await?;
    let m = open_move(engine, tenant.id)
        .await?
        .ok_or_else(|| Error::invalid("slug", "this tenant has no unfinished move"))?;
    let mover = Mover::new(engine, m.clone()).await?;
    if mover.switched(&tenant) {
        return Err(Error::conflict(
            "slug",
            "the move already switched to the new placement; resume it to finish the clean-up",
        ));
    }
    let removed = match mover.to.exists(engine).await {
        Ok(true) => mover.remove_side(&mover.to, false).await,
        Ok(false) => Ok(()),
        Err(e) => Err(e),
    };
    mover.close().await;
    removed?;
    set(engine, m.id, |m| {
        m.step = Set("rolled_back".into());
        m.finished_at = Set(Some(chrono::Utc::now()));
    })
    .await?;
    audit::record(
        engine,
        actor,
        "tenant.move_rolled_back",
        Some(tenant.id),
        "",
    )
    .await?;
    Ok(MoveStatus::from_model(load(engine, m.id).await?))
}

/// The unfinished move of a tenant, if any.
pub async fn open_move(engine: &Engine, tenant: TenantId) -> Result<Option<tenant_move::Model>> {
    let open = tenant_move::Entity::find()
        .filter(tenant_move::Column::Tenant.eq(tenant.uuid()))
        .filter(tenant_move::Column::FinishedAt.is_null());
    engine
        .on_platform(SCOPE, async |db| Ok(open.one(db).await?))
        .await
}

/// Unfinished moves of every tenant that stopped without an error: their
/// mover's instance died (a move that failed waits for a superadmin to
/// resume or roll it back).
pub async fn unfinished(engine: &Engine) -> Result<Vec<uuid::Uuid>> {
    let open = tenant_move::Entity::find()
        .filter(tenant_move::Column::FinishedAt.is_null())
        .filter(tenant_move::Column::Error.is_null());
    let rows = engine
        .on_platform(SCOPE, async |db| Ok(open.all(db).await?))
        .await?;
    Ok(rows.into_iter().map(|m| m.id).collect())
}

/// Resumes the moves whose mover died (periodic platform work, on any
/// instance): each from its recorded step. A move whose mover is alive holds
/// its tenant's lock, and is left to it. Returns how many were finished.
pub async fn resume_abandoned(engine: &Engine) -> Result<usize> {
    let mut finished = 0;
    for id in unfinished(engine).await? {
        match run(engine, id).await {
            Ok(status) if status.finished => finished += 1,
            Ok(_) => {}
            // Another instance's mover is at it.
            Err(Error::Conflict(_)) => {}
            Err(e) => tracing::warn!(move_id = %id, error = %e, "an abandoned move stopped again"),
        }
    }
    Ok(finished)
}

async fn record_of(engine: &Engine, raw_slug: &str) -> Result<TenantRecord> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)
}

async fn load(engine: &Engine, id: uuid::Uuid) -> Result<tenant_move::Model> {
    engine
        .on_platform(SCOPE, async |db| {
            Ok(tenant_move::Entity::find_by_id(id).one(db).await?)
        })
        .await?
        .ok_or(Error::NotFound)
}

async fn set(
    engine: &Engine,
    id: uuid::Uuid,
    change: impl FnOnce(&mut tenant_move::ActiveModel),
) -> Result<()> {
    let mut row = tenant_move::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    change(&mut row);
    engine
        .on_platform(SCOPE, async |db| {
            row.update(db).await?;
            Ok(())
        })
        .await
}
