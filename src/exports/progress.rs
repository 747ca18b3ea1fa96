//! Rows read so far by an export being produced. The read runs in one
//! transaction of the tenant (a consistent snapshot), and an embedded
//! tenant's file has a single connection, so progress is kept in the tenant's
//! cache while it runs (shared by every instance when Redis is configured)
//! and written to the export's row when it ends.

use crate::cache::CacheKey;
use crate::tenancy::TenantCtx;
use std::time::Duration;

/// Longer than any export runs; a crashed one's progress goes by itself.
const KEPT: Duration = Duration::from_secs(3600);

fn key(ctx: &TenantCtx, id: uuid::Uuid) -> CacheKey {
    CacheKey::tenant(ctx, "export.progress", id)
}

pub(super) async fn set(ctx: &TenantCtx, id: uuid::Uuid, total: i64, done: i64) {
    ctx.engine()
        .cache()
        .put(&key(ctx, id), &(total, done), KEPT)
        .await;
}

pub(super) async fn of(ctx: &TenantCtx, id: uuid::Uuid) -> Option<(i64, i64)> {
    ctx.engine().cache().get(&key(ctx, id)).await
}

pub(super) async fn done(ctx: &TenantCtx, id: uuid::Uuid) {
    ctx.engine().cache().forget(&key(ctx, id)).await;
}
