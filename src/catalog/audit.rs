use crate::entities::catalog::platform_audit;
use crate::error::Result;
use crate::tenancy::{Engine, TenantId};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::Serialize;

/// Appends an entry to the platform audit log.
pub async fn record(
    engine: &Engine,
    actor: &str,
    action: &str,
    tenant: Option<TenantId>,
    detail: &str,
) -> Result<()> {
    record_in(engine.catalog(), actor, action, tenant, detail).await
}

/// Appends an entry on `conn`: the transaction making the change, so that
/// the entry exists exactly when the change does.
pub async fn record_in(
    conn: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    tenant: Option<TenantId>,
    detail: &str,
) -> Result<()> {
    platform_audit::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        tenant: Set(tenant.map(TenantId::uuid)),
        detail: Set(detail.to_owned()),
    }
    .insert(conn)
    .await?;
    tracing::info!(actor, action, tenant = ?tenant.map(|t| t.to_string()), "platform audit");
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

/// The kinds of entry a tenant's own admins read: what happened to their
/// people and credentials, and every support session. (Plan decisions and
/// their reasons stay on the console.)
pub const TENANT_VISIBLE: &[&str] = &[
    "impersonation.",
    "support_access.",
    "invitation.",
    "password.",
    "api_key.",
    "sso.",
];

/// One tenant's entries of the [`TENANT_VISIBLE`] kinds, newest first.
pub async fn for_tenant(engine: &Engine, tenant: TenantId, limit: u64) -> Result<Vec<AuditEntry>> {
    use sea_orm::{ColumnTrait, Condition, QueryFilter};
    let kinds = TENANT_VISIBLE.iter().fold(Condition::any(), |any, prefix| {
        any.add(platform_audit::Column::Action.starts_with(*prefix))
    });
    let query = platform_audit::Entity::find()
        .filter(platform_audit::Column::Tenant.eq(tenant.uuid()))
        .filter(kinds);
    newest(engine, query, limit).await
}

async fn newest(
    engine: &Engine,
    query: sea_orm::Select<platform_audit::Entity>,
    limit: u64,
) -> Result<Vec<AuditEntry>> {
    let rows = query
        .order_by_desc(platform_audit::Column::At)
        .order_by_desc(platform_audit::Column::Id)
        .limit(limit)
        .all(engine.catalog())
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
