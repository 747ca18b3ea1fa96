//! Console glue for placements: moving tenants and the fleet's versions.

use crate::backend::{actor, admin, fail};
use crate::dto::MoveDto;
use crate::error::AppError;
use crate::features::placements::api::{FleetDto, FleetRowDto};
use tenantry::catalog::tenants;
use tenantry::tenancy::{fleet, moves, parse_placement};
use tenantry::Error;

pub(crate) fn move_dto(m: moves::MoveStatus) -> MoveDto {
    MoveDto {
        from: m.from.as_str().to_owned(),
        to: m.to.as_str().to_owned(),
        step: m.step,
        rows_total: m.rows_total,
        rows_copied: m.rows_copied,
        freeze_ms: m.freeze_ms,
        error: m.error,
        finished: m.finished,
    }
}

/// Plans the move and runs it in the background; the page polls
/// [`move_status`] for progress.
pub async fn move_tenant(slug: String, to: String) -> Result<MoveDto, AppError> {
    let (engine, who) = admin().await?;
    let to = parse_placement(&to, "to")?;
    let id = moves::plan(&engine, &slug, to, &actor(&who.email)).await?;
    let status = moves::status(&engine, id)
        .await?
        .ok_or_else(|| fail(Error::NotFound))?;
    tokio::spawn(async move {
        if let Err(e) = moves::run(&engine, id).await {
            tracing::error!(move_id = %id, error = ?e, "tenant move stopped; it can be resumed");
        }
    });
    Ok(move_dto(status))
}

pub async fn move_status(slug: String) -> Result<Option<MoveDto>, AppError> {
    let (engine, _) = admin().await?;
    let (tenant, _) = tenants::get(&engine, &slug).await?;
    let latest = moves::latest(&engine, tenant.id).await?;
    Ok(latest.map(move_dto))
}

pub async fn rollback_move(slug: String) -> Result<MoveDto, AppError> {
    let (engine, who) = admin().await?;
    moves::rollback(&engine, &slug, &actor(&who.email))
        .await
        .map(move_dto)
        .map_err(fail)
}

pub async fn fleet_status() -> Result<FleetDto, AppError> {
    let (engine, _) = admin().await?;
    let (latest, entries) = fleet::status(&engine).await?;
    Ok(FleetDto {
        latest,
        rows: entries
            .into_iter()
            .map(|e| FleetRowDto {
                unit: e.unit,
                slug: e.slug,
                placement: e.placement.map(|p| p.as_str().to_owned()),
                version: e.version,
                status: e.status,
                error: e.error,
            })
            .collect(),
    })
}
