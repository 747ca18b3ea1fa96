//! The audit logs a page at a time, newest or oldest first, by keyset (each page
//! starts after the last row of the one before), searchable by actor or
//! action: the platform's for the console, each tenant's for its admins.

use super::{to_entry, AuditEntry};
use crate::entities::catalog::platform_audit as row;
use crate::entities::search::{contains, in_time_order, Page, Place};
use crate::entities::tenant::audit_entry;
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse, TenantCtx};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

/// The platform's entries whose actor or action contains `text` (any case;
/// empty: all), from the `place` the reader stands at.
pub async fn page(engine: &Engine, text: &str, place: &Place) -> Result<Page<AuditEntry>> {
    let select = row::Entity::find().filter(actor_or_action(
        row::Column::Actor,
        row::Column::Action,
        text,
    ));
    let select = in_time_order(select, row::Column::At, row::Column::Id, place)?;
    let rows = engine
        .on_platform(PlatformUse::Console, async |db| Ok(select.all(db).await?))
        .await?;
    Ok(Page::cut(rows, |r| (r.at, r.id)).map(to_entry))
}

/// [`page`] for the tenant's own log, read inside its wall.
pub async fn tenant_page(ctx: &TenantCtx, text: &str, place: &Place) -> Result<Page<AuditEntry>> {
    use audit_entry::Column;
    let select =
        audit_entry::Entity::find().filter(actor_or_action(Column::Actor, Column::Action, text));
    let select = in_time_order(select, Column::At, Column::Id, place)?;
    let rows = ctx.run(false, async |db| Ok(select.all(db).await?)).await?;
    let tenant = ctx.id().uuid();
    Ok(Page::cut(rows, |r| (r.at, r.id)).map(|r| AuditEntry {
        at: r.at,
        actor: r.actor,
        action: r.action,
        tenant: Some(tenant),
        detail: r.detail,
    }))
}

/// Either column contains `text`; every row for an empty search.
fn actor_or_action<C: ColumnTrait>(actor: C, action: C, text: &str) -> Condition {
    match (contains(actor, text), contains(action, text)) {
        (Some(actor), Some(action)) => Condition::any().add(actor).add(action),
        _ => Condition::all(),
    }
}
