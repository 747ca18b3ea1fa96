//! Tenant units made ahead. A schema or database copied from its template
//! takes from a few hundred milliseconds to seconds of DDL; a signup should
//! not wait for it. So a few units per placement are made in the background
//! ([`refill`], run by the periodic work and after every claim), each under
//! the id of a tenant that does not exist yet, and a new tenant in that
//! placement takes one ([`pick`], then [`take`] inside the transaction that
//! writes its catalog row, so a failed creation leaves the unit warm).
//!
//! A unit is recorded before it is made and marked made after, so a process
//! that dies in between leaves a row the next refill finds and drops with
//! whatever was half made. A unit made at an older tenant migration is never
//! taken: the refill drops it and makes a current one.

use crate::config::Backend;
use crate::entities::catalog::warm_unit as row;
use crate::error::Result;
use crate::tenancy::{fleet, Engine, Placement, TenantId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// The version a unit has while it is being made.
const MAKING: &str = "making";

/// A unit unfinished for this long was left by a process that died.
const ABANDONED_AFTER_MINUTES: i64 = 10;

/// A made unit waiting for a tenant.
#[derive(Debug, Clone)]
pub struct WarmUnit {
    pub id: TenantId,
    pub location: Option<String>,
}

/// The placements this deployment keeps units warm for: those whose tenants
/// need DDL before their first row (the shared pool needs none).
pub fn warmed_placements(engine: &Engine) -> Vec<Placement> {
    match engine.backend() {
        Backend::Sqlite => vec![Placement::Database],
        Backend::Postgres if engine.settings().owner_database_url.is_some() => {
            vec![Placement::Schema, Placement::Database]
        }
        Backend::Postgres => Vec::new(),
    }
}

fn current_version() -> String {
    fleet::latest_version::<tenantry_migrations::TenantMigrator>()
}

/// The oldest made unit of `placement` at the current version, if any. Not
/// yet taken: [`take`] does that in the creating transaction.
pub(crate) async fn pick(engine: &Engine, placement: Placement) -> Result<Option<WarmUnit>> {
    let found = row::Entity::find()
        .filter(row::Column::Placement.eq(placement.as_str()))
        .filter(row::Column::Version.eq(current_version()))
        .order_by_asc(row::Column::CreatedAt)
        .one(engine.platform_tables())
        .await?;
    Ok(found.map(|unit| WarmUnit {
        id: TenantId::from_uuid(unit.id),
        location: unit.location,
    }))
}

/// Takes `unit` in `txn`, the transaction writing its tenant's catalog row;
/// `false` when another creation took it first.
pub(crate) async fn take(txn: &impl ConnectionTrait, unit: &WarmUnit) -> Result<bool> {
    let deleted = row::Entity::delete_many()
        .filter(row::Column::Id.eq(unit.id.uuid()))
        .filter(row::Column::Version.eq(current_version()))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Starts a refill in the background (after a claim): the next signup finds
/// a unit again without waiting for the periodic pass.
pub(crate) fn refill_soon(engine: &Engine) {
    if engine.settings().signup.warm_units == 0 {
        return;
    }
    let engine = engine.clone();
    tokio::spawn(async move {
        if let Err(e) = refill(&engine).await {
            tracing::warn!(error = ?e, "warm units: refill failed; the periodic pass retries");
        }
    });
}

/// Drops stale and abandoned units and makes units until each warmed
/// placement has `signup.warm_units` of them. Answers how many it made.
pub async fn refill(engine: &Engine) -> Result<u64> {
    let target = u64::from(engine.settings().signup.warm_units);
    let mut made = 0;
    for placement in warmed_placements(engine) {
        let units = row::Entity::find()
            .filter(row::Column::Placement.eq(placement.as_str()))
            .all(engine.platform_tables())
            .await?;
        let abandoned_before =
            chrono::Utc::now() - chrono::Duration::minutes(ABANDONED_AFTER_MINUTES);
        let version = current_version();
        let mut live = 0;
        for unit in units {
            let stale = unit.version != version && unit.version != MAKING;
            let abandoned = unit.version == MAKING && unit.created_at < abandoned_before;
            if stale || abandoned {
                discard(engine, placement, &unit).await?;
            } else {
                live += 1;
            }
        }
        for _ in live..target {
            make(engine, placement).await?;
            made += 1;
        }
    }
    Ok(made)
}

/// Makes one unit: recorded first, then made, then marked current.
pub async fn make(engine: &Engine, placement: Placement) -> Result<()> {
    let id = TenantId::new();
    let location = engine.location_for(id, placement);
    row::Entity::insert(row::ActiveModel {
        id: Set(id.uuid()),
        placement: Set(placement.as_str().to_owned()),
        location: Set(location.clone()),
        version: Set(MAKING.to_owned()),
        created_at: Set(chrono::Utc::now()),
    })
    .exec(engine.platform_tables())
    .await?;
    if let Err(e) = engine
        .provision(id, placement, location.as_deref(), None)
        .await
    {
        let _ = engine
            .drop_unit(id, placement, location.as_deref(), None)
            .await;
        row::Entity::delete_by_id(id.uuid())
            .exec(engine.platform_tables())
            .await?;
        return Err(e);
    }
    row::Entity::update_many()
        .col_expr(row::Column::Version, current_version().into())
        .filter(row::Column::Id.eq(id.uuid()))
        .exec(engine.platform_tables())
        .await?;
    Ok(())
}

/// Drops a unit nobody will take, then its row (in that order: a row left
/// by a failed drop is tried again).
async fn discard(engine: &Engine, placement: Placement, unit: &row::Model) -> Result<()> {
    let id = TenantId::from_uuid(unit.id);
    engine
        .drop_unit(id, placement, unit.location.as_deref(), None)
        .await?;
    row::Entity::delete_by_id(unit.id)
        .exec(engine.platform_tables())
        .await?;
    Ok(())
}

/// Every unit waiting, per placement (the console's and the benchmark's
/// view).
pub async fn count(engine: &Engine, placement: Placement) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(row::Entity::find()
        .filter(row::Column::Placement.eq(placement.as_str()))
        .filter(row::Column::Version.eq(current_version()))
        .count(engine.platform_tables())
        .await?)
}
