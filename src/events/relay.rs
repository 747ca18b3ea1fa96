//! Events raised by a change inside a tenant's plane. The change and its
//! event must commit together, but the event log is a catalog table and the
//! tenant's rows may live in another database or file. So the event is
//! written into the plane's `platform_outbox` in the change's own
//! transaction, and relayed into the catalog after it commits: at once by
//! the writer; if that fails, by the dispatcher's next pass (the writer
//! notes the tenant in the directory); if the process died first, after the
//! dispatcher's periodic sweep finds it. A relayed event keeps its id, so a
//! relay repeated after a crash adds nothing twice.
//!
//! Raising takes no second connection while the change's transaction holds
//! one: a full pool cannot deadlock on it.

use super::{outbox, EventKind};
use crate::audit;
use crate::entities::catalog::tenant;
use crate::entities::tenant::outgoing_event;
use crate::error::Result;
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{Engine, PlatformUse, TenantCtx, TenantDb};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// How many events one relay moves at most.
const BATCH: u64 = 100;

/// A lifecycle event, a platform audit entry, or both (one act), for the
/// platform's log.
pub struct Raised<'a> {
    pub kind: Option<EventKind>,
    pub actor: &'a str,
    /// The event's data.
    pub data: serde_json::Value,
    pub audit_action: Option<&'a str>,
    pub audit_detail: &'a str,
}

impl<'a> Raised<'a> {
    /// A change to what the tenant's record carries, with no event or audit
    /// entry of its own: relaying it touches the tenant's directory row,
    /// which tells every instance to reload the record.
    pub fn record_changed(actor: &'a str) -> Self {
        Self {
            kind: None,
            actor,
            data: serde_json::Value::Null,
            audit_action: None,
            audit_detail: "",
        }
    }

    /// A platform audit entry alone (an act with no lifecycle event).
    pub fn audit(action: &'a str, actor: &'a str, detail: &'a str) -> Self {
        Self {
            kind: None,
            actor,
            data: serde_json::Value::Null,
            audit_action: Some(action),
            audit_detail: detail,
        }
    }
}

/// Writes `event` in `db`, the transaction of `ctx`'s tenant making the
/// change. After it commits, call [`relay_now`].
pub async fn raise(db: &TenantDb, event: Raised<'_>) -> Result<()> {
    db.insert(outgoing_event::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        kind: Set(event
            .kind
            .map(EventKind::as_str)
            .unwrap_or_default()
            .to_owned()),
        actor: Set(event.actor.to_owned()),
        data: Set(event.data.to_string()),
        audit_action: Set(event.audit_action.unwrap_or_default().to_owned()),
        audit_detail: Set(event.audit_detail.to_owned()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .await?;
    Ok(())
}

/// Relays `ctx`'s raised events now. A failure is logged and the tenant
/// noted for the dispatcher to retry, since the change itself has
/// committed.
pub async fn relay_now(ctx: &TenantCtx) {
    if let Err(e) = relay(ctx).await {
        tracing::warn!(tenant_id = %ctx.id(), error = ?e, "event relay deferred to the dispatcher");
        if let Err(e) = directory::work_due_now(ctx.engine(), Queue::Relay, ctx.id()).await {
            tracing::warn!(tenant_id = %ctx.id(), error = ?e, "event relay left to the sweep");
        }
    }
}

/// Notes every live tenant with raised events waiting (a writer that died
/// between its commit and its relay); how many.
pub async fn sweep(engine: &Engine) -> Result<usize> {
    let mut noted = 0;
    for tenant in engine.live_tenants().await? {
        let Ok(ctx) = engine.ctx_for(tenant).await else {
            continue;
        };
        let waiting = ctx
            .run(false, async |db| {
                Ok(outgoing_event::Entity::find().one(db).await?.is_some())
            })
            .await?;
        if waiting {
            directory::work_due_now(engine, Queue::Relay, tenant).await?;
            noted += 1;
        }
    }
    Ok(noted)
}

/// Moves `ctx`'s raised events (oldest first, at most [`BATCH`]) into the
/// platform's event log and audit, then removes them from the plane; how
/// many.
pub async fn relay(ctx: &TenantCtx) -> Result<usize> {
    let pending = ctx
        .run_for_platform(async |db| {
            Ok(outgoing_event::Entity::find()
                .order_by_asc(outgoing_event::Column::Id)
                .limit(BATCH)
                .all(db)
                .await?)
        })
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let engine = ctx.engine();
    let slug = ctx.tenant().slug.as_str();
    engine
        .on_platform(PlatformUse::Records, async |db| {
            for raised in &pending {
                if !raised.audit_action.is_empty() {
                    audit::record_once_in(
                        db,
                        raised.id,
                        &raised.actor,
                        &raised.audit_action,
                        ctx.id(),
                        &raised.audit_detail,
                    )
                    .await?;
                }
                if raised.kind.is_empty() {
                    continue;
                }
                let kind = EventKind::parse(&raised.kind).ok_or_else(|| {
                    anyhow::anyhow!("a raised event of unknown kind {:?}", raised.kind)
                })?;
                let data = serde_json::from_str(&raised.data)
                    .map_err(|e| anyhow::anyhow!("a raised event's data: {e}"))?;
                let event = outbox::Appended {
                    id: raised.id,
                    kind,
                    actor: &raised.actor,
                    data,
                };
                outbox::append_once(db, ctx.id(), slug, event).await?;
            }
            // What the plane changed is part of the tenant's record: touching
            // its directory row tells every instance (its trigger notifies).
            tenant::Entity::update_many()
                .col_expr(tenant::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
                .filter(tenant::Column::Id.eq(ctx.id().uuid()))
                .exec(db)
                .await?;
            Ok(())
        })
        .await?;
    let ids: Vec<uuid::Uuid> = pending.iter().map(|raised| raised.id).collect();
    ctx.run_for_platform(async |db| {
        outgoing_event::Entity::delete_many()
            .filter(outgoing_event::Column::Id.is_in(ids))
            .exec(db)
            .await?;
        Ok(())
    })
    .await?;
    engine.tenant_changed(ctx.id());
    engine.events().wake();
    Ok(pending.len())
}

/// One pass over the tenants with events waiting to be relayed (after a
/// failed or interrupted relay); how many were relayed.
pub async fn relay_due(engine: &Engine) -> Result<usize> {
    directory::visit_due(engine, Queue::Relay, 50, |ctx| async move {
        let relayed = relay(&ctx).await?;
        let more = (relayed as u64 == BATCH).then(chrono::Utc::now);
        Ok((relayed, more))
    })
    .await
}
