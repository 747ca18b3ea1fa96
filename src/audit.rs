//! The audit trails: the platform's (catalog) and each tenant's (tenant
//! plane), read and appended here. Not the isolation self-audit, which is
//! `tenancy::audit`.

use crate::entities::catalog::platform_audit;
use crate::entities::tenant::audit_entry;
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse, TenantCtx, TenantDb};
use sea_orm::{EntityTrait, QueryOrder, QuerySelect, Set};
use serde::Serialize;

/// Appending to the platform audit log (the isolation engine records its
/// own acts there too).
pub use crate::tenancy::platform_audit::{record, record_in, record_once_in};

mod page;
pub use page::{page, tenant_page};

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

/// What changed, for an audit entry: `field: before -> after` for each
/// field whose value differs (an empty value reads `(none)`), or `no change`.
pub fn changes<S: AsRef<str>>(fields: &[(&str, S, S)]) -> String {
    let shown = |v: &S| match v.as_ref() {
        "" => "(none)".to_owned(),
        v => v.to_owned(),
    };
    let changed: Vec<String> = fields
        .iter()
        .filter(|(_, before, after)| before.as_ref() != after.as_ref())
        .map(|(name, before, after)| format!("{name}: {} -> {}", shown(before), shown(after)))
        .collect();
    match changed.is_empty() {
        true => "no change".into(),
        false => changed.join("; "),
    }
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
    Ok(rows.into_iter().map(to_entry).collect())
}

fn to_entry(r: platform_audit::Model) -> AuditEntry {
    AuditEntry {
        at: r.at,
        actor: r.actor,
        action: r.action,
        tenant: r.tenant,
        detail: r.detail,
    }
}
