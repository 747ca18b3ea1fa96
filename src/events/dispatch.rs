//! The dispatcher: fans committed events out to in-process subscribers and
//! to webhook deliveries, oldest first. An event whose subscriber fails is
//! retried with back-off, and that tenant's later events wait for it, so
//! every consumer sees one tenant's events in order.

use super::delivery::{self, platform_queue, tenant_queue};
use super::LifecycleEvent;
use crate::entities::catalog::lifecycle_event;
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashSet;
use std::time::Duration;

/// Longest a dispatch or delivery pass may run (deliveries time out on their
/// own far sooner: `webhook_timeout_secs` each).
const PASS_DEADLINE: Duration = Duration::from_secs(120);

/// How often the tenants' planes are swept for raised events a writer did
/// not relay (it died between its commit and its relay).
const RELAY_SWEEP_EVERY: Duration = Duration::from_secs(300);

/// Runs forever: dispatches new events and attempts due deliveries, woken by
/// this process's commits and otherwise polling (other processes, retries).
pub async fn run(engine: Engine) {
    let client = delivery::client(engine.settings());
    let poll = Duration::from_millis(engine.settings().webhook_poll_ms.max(10));
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= RELAY_SWEEP_EVERY) {
            bounded("tenant event relay sweep", super::relay::sweep(&engine)).await;
            last_sweep = Some(std::time::Instant::now());
        }
        // Each pass is bounded: cancelling one midway is safe (queueing is
        // idempotent and an event is marked only with its fan-out), and a
        // pass that waits forever would stop every tenant's events.
        bounded("tenant event relay", super::relay::relay_due(&engine)).await;
        bounded("lifecycle event dispatch", dispatch_pending(&engine)).await;
        bounded(
            "webhook delivery pass",
            delivery::deliver_due(&engine, &client),
        )
        .await;
        tokio::select! {
            _ = engine.events().woken() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Runs one pass within [`PASS_DEADLINE`], logging a failure or a timeout.
async fn bounded<T>(pass: &str, work: impl std::future::Future<Output = Result<T>>) {
    match tokio::time::timeout(PASS_DEADLINE, work).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(error = ?e, "{pass} failed"),
        Err(_) => tracing::error!("{pass} passed its deadline; cancelled"),
    }
}

/// One pass over undispatched events; returns how many were dispatched.
pub async fn dispatch_pending(engine: &Engine) -> Result<usize> {
    let undispatched = lifecycle_event::Entity::find()
        .filter(lifecycle_event::Column::DispatchedAt.is_null())
        .order_by_asc(lifecycle_event::Column::Id)
        .limit(500);
    let rows = engine
        .on_platform(PlatformUse::Maintenance("events"), async |db| {
            Ok(undispatched.all(db).await?)
        })
        .await?;
    let now = chrono::Utc::now();
    // Tenants with an earlier event still undispatched in this pass.
    let mut held = HashSet::new();
    let mut dispatched = 0;
    for row in rows {
        if held.contains(&row.tenant) {
            continue;
        }
        if row.dispatch_after.is_some_and(|at| at > now) {
            held.insert(row.tenant);
            continue;
        }
        let outcome = match LifecycleEvent::from_row(&row) {
            Ok(event) => match notify_subscribers(engine, &event).await {
                // Inside the tenant, before the event is marked: a crash in
                // between queues nothing twice (see `tenant_queue::enqueue`).
                Ok(()) => tenant_queue::enqueue(engine, &event)
                    .await
                    .map(|()| event)
                    .map_err(|e| anyhow::anyhow!("queueing the tenant's deliveries failed: {e}")),
                Err(e) => Err(e),
            },
            Err(e) => Err(anyhow::anyhow!("unreadable event: {e}")),
        };
        match outcome {
            Ok(event) => {
                if fan_out(engine, &row, &event).await? {
                    dispatched += 1;
                }
            }
            Err(e) => {
                held.insert(row.tenant);
                hold_back(engine, &row, &e).await?;
            }
        }
    }
    Ok(dispatched)
}

async fn notify_subscribers(engine: &Engine, event: &LifecycleEvent) -> anyhow::Result<()> {
    for subscriber in engine.events().subscribers() {
        subscriber.handle(event).await.map_err(|e| {
            anyhow::anyhow!(
                "subscriber {} failed on {}: {e:#}",
                subscriber.name(),
                event.id
            )
        })?;
    }
    Ok(())
}

/// Marks the event dispatched and queues one delivery per subscribed
/// platform endpoint, in one transaction. `false` when another process got
/// there first.
async fn fan_out(
    engine: &Engine,
    row: &lifecycle_event::Model,
    event: &LifecycleEvent,
) -> Result<bool> {
    let now = chrono::Utc::now();
    let txn = engine.platform(PlatformUse::Records).await?;
    let marked = lifecycle_event::Entity::update_many()
        .col_expr(lifecycle_event::Column::DispatchedAt, Some(now).into())
        .filter(lifecycle_event::Column::Id.eq(row.id))
        .filter(lifecycle_event::Column::DispatchedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        return Ok(false);
    }
    platform_queue::enqueue(&txn, event).await?;
    txn.commit().await?;
    Ok(true)
}

/// Records a subscriber failure and when to try again.
async fn hold_back(
    engine: &Engine,
    row: &lifecycle_event::Model,
    error: &anyhow::Error,
) -> Result<()> {
    tracing::warn!(event = %row.id, tenant_id = %row.tenant, error = %format!("{error:#}"), "lifecycle event held back");
    let attempts = row.dispatch_attempts + 1;
    let retry_at = chrono::Utc::now() + delivery::backoff(engine.settings(), attempts);
    let mut active: lifecycle_event::ActiveModel = row.clone().into();
    active.dispatch_attempts = Set(attempts);
    active.dispatch_after = Set(Some(retry_at));
    active.dispatch_error = Set(Some(format!("{error:#}")));
    engine
        .on_platform(PlatformUse::Maintenance("events"), async |db| {
            active.update(db).await?;
            Ok(())
        })
        .await
}
