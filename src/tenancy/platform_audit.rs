//! The platform audit log: what superadmins and the platform did, append-only
//! to the runtime role (the self-audit checks the grants), behind the wall
//! with the platform scope. Written here, on the platform path or in a
//! tenant's records transaction, so that the isolation engine can record its
//! own acts (moves) and every writer stamps the tenant the same way.

use super::{CatalogScope, Engine, PlatformUse, TenantId};
use crate::entities::catalog::platform_audit;
use crate::error::Result;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

/// Appends an entry in its own platform transaction.
pub async fn record(
    engine: &Engine,
    actor: &str,
    action: &str,
    tenant: Option<TenantId>,
    detail: &str,
) -> Result<()> {
    engine
        .on_platform(PlatformUse::Records, async |db| {
            record_in(db, actor, action, tenant, detail).await
        })
        .await
}

/// Appends an entry on `conn`: the transaction making the change, so that
/// the entry exists exactly when the change does.
pub async fn record_in(
    conn: &impl CatalogScope,
    actor: &str,
    action: &str,
    tenant: Option<TenantId>,
    detail: &str,
) -> Result<()> {
    let entry = entry(uuid::Uuid::now_v7(), actor, action, detail);
    // An entry about no tenant in particular leaves the column empty.
    let entry = match tenant {
        Some(tenant) => conn.stamp_about(tenant, entry)?,
        None => entry,
    };
    entry.insert(conn).await?;
    logged(actor, action, tenant);
    Ok(())
}

/// Appends the entry `id` about `tenant` on `conn` unless it is there
/// already (an act relayed from a tenant's plane, relayed again after a
/// crash).
pub async fn record_once_in(
    conn: &impl CatalogScope,
    id: uuid::Uuid,
    actor: &str,
    action: &str,
    tenant: TenantId,
    detail: &str,
) -> Result<()> {
    let entry = conn.stamp_about(tenant, entry(id, actor, action, detail))?;
    let written = platform_audit::Entity::insert(entry)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    if matches!(written, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
        logged(actor, action, Some(tenant));
    }
    Ok(())
}

fn entry(id: uuid::Uuid, actor: &str, action: &str, detail: &str) -> platform_audit::ActiveModel {
    platform_audit::ActiveModel {
        id: Set(id),
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        detail: Set(detail.to_owned()),
        ..Default::default()
    }
}

fn logged(actor: &str, action: &str, tenant: Option<TenantId>) {
    let tenant_id = tenant.map(|t| t.to_string());
    tracing::info!(
        actor,
        action,
        tenant_id = tenant_id.as_deref(),
        "platform audit"
    );
}
