//! Deliveries to the platform's own endpoints: catalog rows, read by the
//! platform's delivery worker and the superadmin's console.

use super::{delivery_view, lease, send, set_attempted, Attempted, DeliveryView, PENDING};
use crate::audit;
use crate::entities::catalog::{lifecycle_event, webhook_delivery as row};
use crate::entities::search::{chosen, in_time_order, Page, Place};
use crate::error::{Error, Result};
use crate::events::endpoints;
use crate::events::LifecycleEvent;
use crate::tenancy::{CatalogScope, Engine, PlatformUse};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

/// Queues `event` for each of the platform's endpoints that receive it, on
/// `conn` (the transaction that marks the event dispatched).
pub(crate) async fn enqueue(conn: &impl CatalogScope, event: &LifecycleEvent) -> Result<()> {
    let now = chrono::Utc::now();
    for endpoint in endpoints::platform_subscribed(conn, event.kind).await? {
        let delivery = row::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            endpoint: Set(endpoint.id),
            event: Set(event.id),
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
        };
        conn.stamp_about(event.tenant, delivery)?
            .insert(conn)
            .await?;
    }
    Ok(())
}

/// Starts every due delivery that is first in line for its (endpoint,
/// tenant); does not wait for them. Returns how many were started.
pub(super) async fn deliver_due(engine: &Engine, client: &reqwest::Client) -> Result<usize> {
    let pending = row::Entity::find()
        .filter(row::Column::Status.eq(PENDING))
        .order_by_asc(row::Column::Event)
        .limit(2000);
    let pending = engine
        .on_platform(PlatformUse::Maintenance("webhooks"), async |db| {
            Ok(pending.all(db).await?)
        })
        .await?;
    let now = chrono::Utc::now();
    let mut first_in_line = HashSet::new();
    let mut started = 0;
    for delivery in pending {
        if !first_in_line.insert((delivery.endpoint, delivery.tenant))
            || delivery.next_attempt_at > now
        {
            continue;
        }
        let Ok(permit) = engine.events().in_flight().try_acquire_owned() else {
            break;
        };
        if !claim(engine, &delivery).await? {
            continue;
        }
        started += 1;
        let (engine, client) = (engine.clone(), client.clone());
        tokio::spawn(async move {
            if let Err(e) = attempt(&engine, &client, delivery).await {
                tracing::error!(error = ?e, "webhook attempt could not be recorded");
            }
            drop(permit);
            engine.events().wake();
        });
    }
    Ok(started)
}

/// Leases the delivery for the length of one attempt; `false` when another
/// process got it.
async fn claim(engine: &Engine, delivery: &row::Model) -> Result<bool> {
    let now = chrono::Utc::now();
    let claim = row::Entity::update_many()
        .col_expr(
            row::Column::NextAttemptAt,
            (now + lease(engine.settings())).into(),
        )
        .filter(row::Column::Id.eq(delivery.id))
        .filter(row::Column::Status.eq(PENDING))
        .filter(row::Column::NextAttemptAt.lte(now));
    let claimed = engine
        .on_platform(PlatformUse::Maintenance("webhooks"), async |db| {
            Ok(claim.exec(db).await?)
        })
        .await?;
    Ok(claimed.rows_affected == 1)
}

async fn attempt(engine: &Engine, client: &reqwest::Client, delivery: row::Model) -> Result<()> {
    // Read, then let go of the catalog before the request goes out.
    let found = engine
        .on_platform(PlatformUse::Maintenance("webhooks"), async |db| {
            let endpoint = match endpoints::find_platform(db, delivery.endpoint).await {
                Ok(endpoint) => endpoint,
                Err(Error::NotFound) => return Ok(None), // removed meanwhile, with its deliveries
                Err(e) => return Err(e),
            };
            let event = lifecycle_event::Entity::find_by_id(delivery.event)
                .one(db)
                .await?;
            Ok(event.map(|event| (endpoint, event)))
        })
        .await?;
    let Some((endpoint, event)) = found else {
        return Ok(());
    };
    let event = LifecycleEvent::from_row(&event)?;
    let answer = send(engine, client, &endpoint, delivery.id, &event, true).await;
    let done = Attempted::new(engine.settings(), delivery.attempts, answer);
    // The platform's own endpoint: no tenant's work.
    engine.observer().webhook(done.outcome(), None);
    let mut active = delivery.into_active_model();
    set_attempted!(active, done);
    engine
        .on_platform(PlatformUse::Maintenance("webhooks"), async |db| {
            active.update(db).await?;
            Ok(())
        })
        .await
}

pub(super) async fn log(
    engine: &Engine,
    endpoint: uuid::Uuid,
    status: &str,
    place: &Place,
) -> Result<Page<DeliveryView>> {
    let select = row::Entity::find()
        .filter(row::Column::Endpoint.eq(endpoint))
        .filter(chosen(row::Column::Status, status));
    let select = in_time_order(select, row::Column::CreatedAt, row::Column::Id, place)?;
    let db = engine.platform(PlatformUse::Console).await?;
    endpoints::find_platform(&db, endpoint).await?;
    let page = Page::cut(select.all(&db).await?, |r| (r.created_at, r.id));
    let rows = &page.rows;
    let events: HashMap<uuid::Uuid, lifecycle_event::Model> = lifecycle_event::Entity::find()
        .filter(lifecycle_event::Column::Id.is_in(rows.iter().map(|r| r.event)))
        .all(&db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    db.commit().await?;
    Ok(page.map(|r| {
        let event = events.get(&r.event);
        delivery_view!(
            r,
            r.event,
            event.map(|e| e.kind.clone()).unwrap_or_default(),
            event.map(|e| e.slug.clone()).unwrap_or_default()
        )
    }))
}

pub(super) async fn resend(engine: &Engine, id: uuid::Uuid, actor: &str) -> Result<()> {
    let db = engine.platform(PlatformUse::Records).await?;
    let delivery = row::Entity::find_by_id(id)
        .one(&db)
        .await?
        .ok_or(Error::NotFound)?;
    let mut active = delivery.clone().into_active_model();
    active.status = Set(PENDING.into());
    active.attempts = Set(0);
    active.next_attempt_at = Set(chrono::Utc::now());
    active.update(&db).await?;
    audit::record_in(
        &db,
        actor,
        "webhook.resent",
        None,
        &format!("endpoint={} delivery={id}", delivery.endpoint),
    )
    .await?;
    db.commit().await
}
