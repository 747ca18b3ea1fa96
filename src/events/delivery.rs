//! Webhook deliveries: signed POSTs, retried with exponential back-off, one
//! at a time per (endpoint, tenant) so that a receiver sees a tenant's events
//! in order. Each delivery keeps its status, attempts and last answer for the
//! delivery log; a failed one can be re-sent by hand.

use super::endpoints::{self, is_public, Owner};
use super::{signature, LifecycleEvent};
use crate::catalog::audit;
use crate::config::Settings;
use crate::entities::catalog::{lifecycle_event, webhook_delivery, webhook_endpoint};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, TenantId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// What is kept of a receiver's answer for the log.
const RESPONSE_KEPT: usize = 1024;

/// One line of an endpoint's delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    pub event_type: String,
    pub tenant_slug: String,
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_response: Option<String>,
    pub last_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The delay before attempt `attempts + 1`: the base doubled per attempt,
/// capped at an hour, with up to 10 % jitter so retries do not synchronise.
pub fn backoff(settings: &Settings, attempts: i32) -> chrono::Duration {
    use rand::Rng;
    let exponent = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let base = settings.webhook_retry_base_ms.max(1);
    let ms = base.saturating_mul(1u64 << exponent).min(3_600_000);
    let jitter = rand::thread_rng().gen_range(0..=ms / 10);
    chrono::Duration::milliseconds(i64::try_from(ms + jitter).unwrap_or(i64::MAX))
}

/// The HTTP client for deliveries: no redirects followed (a redirect could
/// lead anywhere), a timeout, and unless insecure targets are allowed, a
/// resolver that only returns public addresses (so DNS cannot point an
/// endpoint at the platform's own network).
pub fn client(settings: &Settings) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(settings.webhook_timeout_secs.max(1)))
        .user_agent("Webhooks/1");
    if !settings.webhook_allow_insecure_targets {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build().unwrap_or_else(|e| {
        tracing::error!(error = %e, "webhook client configuration failed; using defaults");
        reqwest::Client::new()
    })
}

struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<std::net::SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err("the endpoint's host has no public address".into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Starts every due delivery that is first in line for its (endpoint,
/// tenant); does not wait for them. Returns how many were started.
pub async fn deliver_due(engine: &Engine, client: &reqwest::Client) -> Result<usize> {
    let pending = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .order_by_asc(webhook_delivery::Column::Event)
        .limit(2000)
        .all(engine.catalog())
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

/// Leases the delivery for the length of one attempt, so no other process
/// attempts it meanwhile; `false` when another process got it.
async fn claim(engine: &Engine, delivery: &webhook_delivery::Model) -> Result<bool> {
    let now = chrono::Utc::now();
    let lease = chrono::Duration::seconds(
        i64::try_from(engine.settings().webhook_timeout_secs).unwrap_or(60) + 30,
    );
    let claimed = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            (now + lease).into(),
        )
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .exec(engine.catalog())
        .await?;
    Ok(claimed.rows_affected == 1)
}

struct Answer {
    status: Option<u16>,
    body: Option<String>,
    error: Option<String>,
}

async fn attempt(
    engine: &Engine,
    client: &reqwest::Client,
    delivery: webhook_delivery::Model,
) -> Result<()> {
    let Some(endpoint) = webhook_endpoint::Entity::find_by_id(delivery.endpoint)
        .one(engine.catalog())
        .await?
    else {
        return Ok(()); // removed meanwhile: its deliveries went with it
    };
    let Some(event) = lifecycle_event::Entity::find_by_id(delivery.event)
        .one(engine.catalog())
        .await?
    else {
        return Ok(());
    };
    let event = LifecycleEvent::from_row(&event)?;
    let answer = if endpoint.enabled {
        send(engine, client, &endpoint, &delivery, &event).await
    } else {
        Answer {
            status: None,
            body: None,
            error: Some("endpoint disabled".into()),
        }
    };
    record(engine, delivery, answer).await
}

async fn send(
    engine: &Engine,
    client: &reqwest::Client,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
    event: &LifecycleEvent,
) -> Answer {
    let failed = |error: String| Answer {
        status: None,
        body: None,
        error: Some(error),
    };
    // Checked again at send time: the deployment's policy may have changed.
    if let Err(e) = endpoints::parse_url(engine, &endpoint.url) {
        return failed(e.to_string());
    }
    let body = match serde_json::to_vec(&event.payload(endpoint.tenant.is_none())) {
        Ok(body) => body,
        Err(e) => return failed(format!("payload: {e}")),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let signed = signature::sign(&endpoints::signing_secrets(endpoint), timestamp, &body);
    let request = client
        .post(&endpoint.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(signature::HEADER, signed)
        .header("Webhook-Event-Id", event.id.to_string())
        .header("Webhook-Event-Type", event.kind.as_str())
        .header("Webhook-Delivery-Id", delivery.id.to_string())
        .body(body);
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            Answer {
                status: Some(status),
                body: Some(printable_prefix(&body, RESPONSE_KEPT)),
                error: (!(200..300).contains(&status)).then(|| format!("answered {status}")),
            }
        }
        // Without the URL: it may carry a token in its query string.
        Err(e) => failed(describe(&e.without_url())),
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        format!("could not connect: {e}")
    } else {
        e.to_string()
    }
}

fn printable_prefix(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .scan(0usize, |len, c| {
            *len += c.len_utf8();
            (*len <= max).then_some(c)
        })
        .collect()
}

async fn record(engine: &Engine, delivery: webhook_delivery::Model, answer: Answer) -> Result<()> {
    let now = chrono::Utc::now();
    let attempts = delivery.attempts + 1;
    let max = i32::try_from(engine.settings().webhook_max_attempts.max(1)).unwrap_or(i32::MAX);
    let mut active = delivery.into_active_model();
    active.attempts = Set(attempts);
    active.last_attempt_at = Set(Some(now));
    active.last_status = Set(answer.status.map(i32::from));
    active.last_response = Set(answer.body);
    match answer.error {
        None => {
            active.status = Set(DELIVERED.into());
            active.delivered_at = Set(Some(now));
            active.last_error = Set(None);
        }
        Some(error) => {
            let status = if attempts >= max { FAILED } else { PENDING };
            active.status = Set(status.into());
            active.next_attempt_at = Set(now + backoff(engine.settings(), attempts));
            active.last_error = Set(Some(error));
        }
    }
    active.update(engine.catalog()).await?;
    Ok(())
}

/// The newest deliveries of the owner's endpoint `endpoint`.
pub async fn log(
    engine: &Engine,
    owner: Owner,
    endpoint: uuid::Uuid,
    limit: u64,
) -> Result<Vec<DeliveryView>> {
    let endpoint = endpoints::find(engine, owner, endpoint).await?;
    let rows = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Endpoint.eq(endpoint.id))
        .order_by_desc(webhook_delivery::Column::CreatedAt)
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(engine.catalog())
        .await?;
    let events: HashMap<uuid::Uuid, lifecycle_event::Model> = lifecycle_event::Entity::find()
        .filter(lifecycle_event::Column::Id.is_in(rows.iter().map(|r| r.event)))
        .all(engine.catalog())
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let event = events.get(&r.event);
            DeliveryView {
                id: r.id,
                event_id: r.event,
                event_type: event.map(|e| e.kind.clone()).unwrap_or_default(),
                tenant_slug: event.map(|e| e.slug.clone()).unwrap_or_default(),
                next_attempt_at: (r.status == PENDING).then_some(r.next_attempt_at),
                status: r.status,
                attempts: r.attempts,
                last_status: r.last_status,
                last_error: r.last_error,
                last_response: r.last_response,
                last_attempt_at: r.last_attempt_at,
                delivered_at: r.delivered_at,
                created_at: r.created_at,
            }
        })
        .collect())
}

/// Queues the delivery again now, with a fresh set of attempts.
pub async fn resend(engine: &Engine, owner: Owner, id: uuid::Uuid, actor: &str) -> Result<()> {
    let delivery = webhook_delivery::Entity::find_by_id(id)
        .one(engine.catalog())
        .await?
        .ok_or(Error::NotFound)?;
    // Through the owner: another owner's delivery is not found.
    let endpoint = endpoints::find(engine, owner, delivery.endpoint).await?;
    let mut active = delivery.into_active_model();
    active.status = Set(PENDING.into());
    active.attempts = Set(0);
    active.next_attempt_at = Set(chrono::Utc::now());
    active.update(engine.catalog()).await?;
    engine.events().wake();
    let tenant = endpoint.tenant.map(TenantId::from_uuid);
    audit::record(
        engine,
        actor,
        "webhook.resent",
        tenant,
        &format!("endpoint={} delivery={id}", endpoint.id),
    )
    .await
}
