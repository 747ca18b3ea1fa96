//! A tenant's data key, for superadmins: its status, and a rotation (a
//! sensitive action: it asks for a fresh second factor where one is kept).

use crate::backend::{actor, admin, admin_with_fresh_factor, timestamp};
use crate::error::AppError;
use crate::features::data_keys::api::{DataKeyDto, RotationDto};
use tenantry::lifecycle::key_rotation::{self, KeyStatus, RotationView};

fn rotation(r: RotationView) -> RotationDto {
    RotationDto {
        generation: r.generation,
        state: r.state,
        values_total: r.values_total,
        values_done: r.values_done,
        objects_total: r.objects_total,
        objects_done: r.objects_done,
        requested_by: r.requested_by,
        error: r.error,
        created_at: timestamp(r.created_at),
        finished_at: r.finished_at.map(timestamp),
    }
}

fn dto(s: KeyStatus) -> DataKeyDto {
    DataKeyDto {
        generations: s.generations,
        sealing: s.sealing,
        rotation: s.latest.map(rotation),
    }
}

pub async fn data_key_status(slug: String) -> Result<DataKeyDto, AppError> {
    let (engine, _) = admin().await?;
    Ok(dto(key_rotation::status_by_slug(&engine, &slug).await?))
}

pub async fn rotate_data_key(slug: String) -> Result<DataKeyDto, AppError> {
    let (engine, who) = admin_with_fresh_factor().await?;
    key_rotation::start_by_slug(&engine, &slug, &actor(&who.email)).await?;
    Ok(dto(key_rotation::status_by_slug(&engine, &slug).await?))
}
