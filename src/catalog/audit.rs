use crate::entities::catalog::platform_audit;
use crate::entities::tenant::audit_entry;
use crate::error::Result;
use crate::tenancy::{CatalogScope, Engine, PlatformUse, TenantCtx, TenantDb, TenantId};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::Serialize;

/// Appends an entry to the platform audit log.
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
    let entry = platform_audit::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        detail: Set(detail.to_owned()),
        ..Default::default()
    };
    // An entry about no tenant in particular leaves the column empty.
    let entry = match tenant {
        Some(tenant) => conn.stamp_about(tenant, entry)?,
        None => entry,
    };
    entry.insert(conn).await?;
    let tenant_id = tenant.map(|t| t.to_string());
    tracing::info!(
        actor,
        action,
        tenant_id = tenant_id.as_deref(),
        "platform audit"
    );
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub tenant: Option<uuid::Uuid>,
    pub detail: String,
}

/// The most recent entries, newest first.
pub async fn recent(engine: &Engine, limit: u64) -> Result<Vec<AuditEntry>> {
    newest(engine, platform_audit::Entity::find(), limit).await
}

/// Appends an entry to the tenant's own audit log, in `db` (the transaction
/// making the change): what happened to its people and credentials, and
/// every support session. Its admins read it on /admin/audit.
pub async fn record_tenant(db: &TenantDb, actor: &str, action: &str, detail: &str) -> Result<()> {
    db.insert(audit_entry::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        detail: Set(detail.to_owned()),
        ..Default::default()
    })
    .await?;
    tracing::info!(actor, action, tenant_id = %db.tenant_id(), "tenant audit");
    Ok(())
}

/// The tenant's own log, newest first.
pub async fn for_tenant(ctx: &TenantCtx, limit: u64) -> Result<Vec<AuditEntry>> {
    let tenant = ctx.id().uuid();
    ctx.run(false, async |db| {
        let rows = audit_entry::Entity::find()
            .order_by_desc(audit_entry::Column::At)
            .order_by_desc(audit_entry::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                at: r.at,
                actor: r.actor,
                action: r.action,
                tenant: Some(tenant),
                detail: r.detail,
            })
            .collect())
    })
    .await
}

async fn newest(
    engine: &Engine,
    query: sea_orm::Select<platform_audit::Entity>,
    limit: u64,
) -> Result<Vec<AuditEntry>> {
    let query = query
        .order_by_desc(platform_audit::Column::At)
        .order_by_desc(platform_audit::Column::Id)
        .limit(limit);
    let rows = engine
        .on_platform(PlatformUse::Console, async |db| Ok(query.all(db).await?))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            at: r.at,
            actor: r.actor,
            action: r.action,
            tenant: r.tenant,
            detail: r.detail,
        })
        .collect())
}
