//! The outbox: `append` is called inside the transaction that makes the
//! change, so an event exists exactly when its change committed.

use super::EventKind;
use crate::entities::catalog::lifecycle_event;
use crate::error::Result;
use crate::tenancy::{CatalogScope, PlatformUse, TenantId};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};

/// One lifecycle change, as subscribers receive it.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleEvent {
    pub id: uuid::Uuid,
    pub tenant: TenantId,
    pub slug: String,
    pub kind: EventKind,
    /// Who made the change (`superadmin:<email>`, `member:<id>`, `cli`,
    /// `maintenance`, `platform-api`). Only platform endpoints receive it.
    pub actor: String,
    pub data: Value,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

impl LifecycleEvent {
    /// The JSON body a webhook delivers. A tenant's own endpoints do not see
    /// which platform operator acted.
    pub fn payload(&self, include_actor: bool) -> Value {
        let mut body = json!({
            "id": self.id,
            "type": self.kind.as_str(),
            "occurred_at": self.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "tenant": { "id": self.tenant.to_string(), "slug": self.slug },
            "data": self.data,
        });
        if include_actor {
            body["actor"] = json!(self.actor);
        }
        body
    }

    pub(crate) fn from_row(row: &lifecycle_event::Model) -> Result<Self> {
        Ok(Self {
            id: row.id,
            tenant: TenantId::from_uuid(row.tenant),
            slug: row.slug.clone(),
            kind: EventKind::parse(&row.kind)
                .ok_or_else(|| anyhow::anyhow!("unknown event kind {:?}", row.kind))?,
            actor: row.actor.clone(),
            data: serde_json::from_str(&row.data).map_err(anyhow::Error::from)?,
            occurred_at: row.occurred_at,
        })
    }
}

/// Writes one event on `conn`, which must be the transaction making the
/// change. After that transaction commits, call `engine.events().wake()` so
/// that this process dispatches it at once (others poll).
pub async fn append(
    conn: &impl CatalogScope,
    tenant: TenantId,
    slug: &str,
    kind: EventKind,
    actor: &str,
    data: Value,
) -> Result<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    conn.stamp_about(tenant, event_row(id, slug, kind, actor, data))?
        .insert(conn)
        .await?;
    Ok(id)
}

/// Writes several events of one change in one statement (a new tenant's
/// `created` and `activated`), in their order.
pub async fn append_many(
    conn: &impl CatalogScope,
    tenant: TenantId,
    slug: &str,
    actor: &str,
    events: Vec<(EventKind, Value)>,
) -> Result<()> {
    let rows = events
        .into_iter()
        .map(|(kind, data)| {
            conn.stamp_about(
                tenant,
                event_row(uuid::Uuid::now_v7(), slug, kind, actor, data),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    if !rows.is_empty() {
        lifecycle_event::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// An event raised elsewhere (a tenant's plane, see `super::relay`) under
/// its own id.
pub struct Appended<'a> {
    pub id: uuid::Uuid,
    pub kind: EventKind,
    pub actor: &'a str,
    pub data: Value,
}

/// Writes `event` on `conn` unless an event with its id is there already;
/// whether it wrote it.
pub async fn append_once(
    conn: &impl CatalogScope,
    tenant: TenantId,
    slug: &str,
    event: Appended<'_>,
) -> Result<bool> {
    let row = event_row(event.id, slug, event.kind, event.actor, event.data);
    let written = lifecycle_event::Entity::insert(conn.stamp_about(tenant, row)?)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    Ok(matches!(written, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

fn event_row(
    id: uuid::Uuid,
    slug: &str,
    kind: EventKind,
    actor: &str,
    data: Value,
) -> lifecycle_event::ActiveModel {
    lifecycle_event::ActiveModel {
        id: Set(id),
        slug: Set(slug.to_owned()),
        kind: Set(kind.as_str().to_owned()),
        actor: Set(actor.to_owned()),
        data: Set(data.to_string()),
        occurred_at: Set(chrono::Utc::now()),
        dispatched_at: Set(None),
        dispatch_attempts: Set(0),
        dispatch_after: Set(None),
        dispatch_error: Set(None),
        ..Default::default()
    }
}

/// The newest events, of one tenant or of all, newest first.
pub async fn recent(
    engine: &crate::tenancy::Engine,
    tenant: Option<TenantId>,
    limit: u64,
) -> Result<Vec<LifecycleEvent>> {
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    let rows = match tenant {
        // One tenant's: read bound to it.
        Some(tenant) => {
            engine
                .on_records(tenant, async |records| {
                    Ok(records
                        .find::<lifecycle_event::Entity>()
                        .order_by_desc(lifecycle_event::Column::Id)
                        .limit(limit)
                        .all(records)
                        .await?)
                })
                .await?
        }
        None => {
            let select = lifecycle_event::Entity::find()
                .order_by_desc(lifecycle_event::Column::Id)
                .limit(limit);
            engine
                .on_platform(PlatformUse::Console, async |db| Ok(select.all(db).await?))
                .await?
        }
    };
    rows.iter().map(LifecycleEvent::from_row).collect()
}

/// How many events are not dispatched yet (a backlog to watch).
pub async fn undispatched(engine: &crate::tenancy::Engine) -> Result<u64> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let pending =
        lifecycle_event::Entity::find().filter(lifecycle_event::Column::DispatchedAt.is_null());
    engine
        .on_platform(PlatformUse::Maintenance("events"), async |db| {
            Ok(pending.count(db).await?)
        })
        .await
}
