//! A tenant's last restore or import, for superadmins.

use crate::backend::{admin, timestamp};
use crate::error::AppError;
use crate::features::restores::api::RestoreDto;
use tenantry::lifecycle::restore;

pub async fn restore_status(slug: String) -> Result<Option<RestoreDto>, AppError> {
    let (engine, _) = admin().await?;
    let found = restore::status_by_slug(&engine, &slug).await?;
    Ok(found.map(|r| RestoreDto {
        kind: r.kind,
        source: r.source,
        state: r.state,
        rows_total: r.rows_total,
        rows_done: r.rows_done,
        files_total: r.files_total,
        files_done: r.files_done,
        requested_by: r.requested_by,
        error: r.error,
        created_at: timestamp(r.created_at),
    }))
}
