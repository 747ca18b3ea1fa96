//! Deliveries to a tenant's own endpoints: rows of its tenant plane, each
//! with a copy of its event, read and written only through the tenant's
//! `TenantDb`. The dispatcher queues them inside the tenant together with a
//! [`DeliverWebhooks`] job, which the tenant's job queue runs inside the
//! tenant: it attempts every due delivery that is first in line for its
//! endpoint until none is left, and queues itself again for the earliest
//! retry. A delivery is leased for the length of one attempt, so two runs
//! never send it at once; a run whose instance died leaves the lease to run
//! out, and the job, run again, sends the same event (same event id).

use super::{delivery_view, lease, send, set_attempted, Answer, Attempted, DeliveryView, PENDING};
use crate::audit;
use crate::entities::search::{chosen, in_time_order, Page, Place};
use crate::entities::tenant::webhook_delivery as row;
use crate::error::{Error, Result};
use crate::events::endpoints;
use crate::events::{EventKind, LifecycleEvent};
use crate::jobs::{self, JobRun, NewJob, TenantJob};
use crate::tenancy::{Engine, TenantCtx, TenantDb, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Queues `event` for each of its tenant's endpoints that receive it, inside
/// the tenant, and notes the tenant's work. Idempotent: a delivery per
/// endpoint and event, so a dispatcher that runs it twice queues nothing new.
pub(crate) async fn enqueue(engine: &Engine, event: &LifecycleEvent) -> Result<()> {
    let ctx = match engine.ctx_for(event.tenant).await {
        Ok(ctx) => ctx,
        // Purged: nothing of it is left to deliver to.
        Err(Error::NotFound) => return Ok(()),
        Err(e) => return Err(e),
    };
    let now = chrono::Utc::now();
    // Any state of the tenant: its endpoints hear of its suspension too.
    let written = ctx
        .run_for_platform(async |db| {
            let rows = subscribed_deliveries(db, event, now).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            db.insert_new(rows).await?;
            let job = NewJob::new(&ctx, DeliverWebhooks).once(format!("webhooks:{}", event.id));
            Ok(Some(jobs::enqueue_in(db, job).await?))
        })
        .await?;
    match written {
        Some(written) => written.announce(&ctx).await.map(|_| ()),
        None => Ok(()),
    }
}

/// Delivers the tenant's due webhooks, each endpoint's in order (see the
/// module's note).
#[derive(Serialize, Deserialize)]
pub struct DeliverWebhooks;

impl TenantJob for DeliverWebhooks {
    const KIND: &'static str = "webhooks.deliver";
    // Its endpoints hear of its suspension too.
    const WHILE_SUSPENDED: bool = true;

    async fn run(self, ctx: &TenantCtx, _: &JobRun) -> Result<()> {
        let client = super::client(ctx.engine().settings());
        loop {
            let (attempted, next) = deliver_tenant(ctx, &client).await?;
            if attempted > 0 {
                continue;
            }
            if let Some(next) = next {
                // One follow-up per retry time, however many runs see it.
                let key = format!("webhooks@{}", next.timestamp_millis());
                jobs::enqueue(ctx, NewJob::new(ctx, DeliverWebhooks).at(next).once(key)).await?;
            }
            return Ok(());
        }
    }
}

/// A pending delivery of `event` for each of the tenant's endpoints that
/// receive it.
async fn subscribed_deliveries(
    db: &TenantDb,
    event: &LifecycleEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<row::ActiveModel>> {
    Ok(endpoints::tenant_receivers(db, event.kind)
        .await?
        .into_iter()
        .map(|endpoint| row::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            endpoint_id: Set(endpoint),
            event_id: Set(event.id),
            event_kind: Set(event.kind.as_str().to_owned()),
            event_slug: Set(event.slug.clone()),
            event_occurred_at: Set(event.occurred_at),
            event_data: Set(event.data.to_string()),
            status: Set(PENDING.into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_status: Set(None),
            last_error: Set(None),
            last_response: Set(None),
            last_attempt_at: Set(None),
            delivered_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .collect())
}

/// Attempts the tenant's due deliveries that are first in line for their
/// endpoint, all at once, and waits for them; how many, and when the
/// earliest one still pending is due.
async fn deliver_tenant(
    ctx: &TenantCtx,
    client: &reqwest::Client,
) -> Result<(usize, Option<chrono::DateTime<chrono::Utc>>)> {
    let pending = ctx
        .run_for_platform(async |db| {
            Ok(row::Entity::find()
                .filter(row::Column::Status.eq(PENDING))
                .order_by_asc(row::Column::EventId)
                .limit(2000)
                .all(db)
                .await?)
        })
        .await?;
    let now = chrono::Utc::now();
    let mut first_in_line = HashSet::new();
    let (mut claimed, mut next) = (Vec::new(), None);
    for delivery in pending {
        if !first_in_line.insert(delivery.endpoint_id) {
            continue;
        }
        if delivery.next_attempt_at > now {
            let at = delivery.next_attempt_at;
            next = Some(next.map_or(at, |n: chrono::DateTime<chrono::Utc>| n.min(at)));
            continue;
        }
        if claim(ctx, &delivery).await? {
            claimed.push(delivery);
        }
    }
    let attempted = claimed.len();
    let attempts = claimed.into_iter().map(|delivery| async move {
        // Bounded across the process, like the platform's deliveries.
        let _permit = ctx.engine().events().in_flight().acquire_owned().await;
        attempt(ctx, client, delivery).await
    });
    for outcome in futures_util::future::join_all(attempts).await {
        outcome?;
    }
    Ok((attempted, next))
}

/// Leases the delivery for the length of one attempt; `false` when another
/// process got it.
async fn claim(ctx: &TenantCtx, delivery: &row::Model) -> Result<bool> {
    let now = chrono::Utc::now();
    let until = now + lease(ctx.engine().settings());
    let claimed = ctx
        .run_for_platform(async |db| {
            Ok(row::Entity::update_many()
                .col_expr(row::Column::NextAttemptAt, Expr::value(until))
                .filter(row::Column::Id.eq(delivery.id))
                .filter(row::Column::Status.eq(PENDING))
                .filter(row::Column::NextAttemptAt.lte(now))
                .exec(db)
                .await?)
        })
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// The event as the delivery copied it.
fn event_of(tenant: TenantId, delivery: &row::Model) -> Option<LifecycleEvent> {
    Some(LifecycleEvent {
        id: delivery.event_id,
        tenant,
        slug: delivery.event_slug.clone(),
        kind: EventKind::parse(&delivery.event_kind)?,
        actor: String::new(),
        data: serde_json::from_str(&delivery.event_data).ok()?,
        occurred_at: delivery.event_occurred_at,
    })
}

async fn attempt(ctx: &TenantCtx, client: &reqwest::Client, delivery: row::Model) -> Result<()> {
    let engine = ctx.engine();
    let endpoint_id = delivery.endpoint_id;
    let keys = ctx.keys().await?;
    let endpoint = match ctx
        .run(false, async |db| {
            endpoints::find_tenant(db, endpoint_id, &keys).await
        })
        .await
    {
        Ok(endpoint) => endpoint,
        Err(Error::NotFound) => return Ok(()), // removed meanwhile, with its deliveries
        Err(e) => return Err(e),
    };
    let answer = match event_of(ctx.id(), &delivery) {
        Some(event) => send(engine, client, &endpoint, delivery.id, &event, false).await,
        None => Answer::failed("the queued event is unreadable"),
    };
    let done = Attempted::new(engine.settings(), delivery.attempts, answer);
    engine
        .observer()
        .webhook(done.outcome(), Some(ctx.id().uuid()));
    ctx.run_for_platform(async |db| {
        let mut active = delivery.into_active_model();
        set_attempted!(active, done);
        active.update(db).await?;
        Ok(())
    })
    .await
}

pub(super) async fn log(
    ctx: &TenantCtx,
    endpoint: uuid::Uuid,
    status: &str,
    place: &Place,
) -> Result<Page<DeliveryView>> {
    let select = row::Entity::find()
        .filter(row::Column::EndpointId.eq(endpoint))
        .filter(chosen(row::Column::Status, status));
    let select = in_time_order(select, row::Column::CreatedAt, row::Column::Id, place)?;
    let rows = ctx
        .run(false, async |db| {
            endpoints::tenant_endpoint_exists(db, endpoint).await?;
            Ok(select.all(db).await?)
        })
        .await?;
    Ok(Page::cut(rows, |r| (r.created_at, r.id))
        .map(|r| delivery_view!(r, r.event_id, r.event_kind, r.event_slug)))
}

pub(super) async fn resend(ctx: &TenantCtx, id: uuid::Uuid, actor: &str) -> Result<()> {
    ctx.run(true, async |db| {
        let delivery = row::Entity::find()
            .filter(row::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(Error::NotFound)?;
        let detail = format!("endpoint={} delivery={id}", delivery.endpoint_id);
        let mut active = delivery.into_active_model();
        active.status = Set(PENDING.into());
        active.attempts = Set(0);
        active.next_attempt_at = Set(chrono::Utc::now());
        active.update(db).await?;
        audit::record_tenant(db, actor, "webhook.resent", &detail).await?;
        jobs::enqueue_in(db, NewJob::new(ctx, DeliverWebhooks)).await
    })
    .await?
    .announce(ctx)
    .await
    .map(|_| ())
}

/// Deletes an endpoint's delivery log, in `db` (the transaction removing it).
pub(crate) async fn remove_log(db: &TenantDb, endpoint: uuid::Uuid) -> Result<()> {
    row::Entity::delete_many()
        .filter(row::Column::EndpointId.eq(endpoint))
        .exec(db)
        .await?;
    Ok(())
}
