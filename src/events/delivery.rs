//! Webhook deliveries: signed POSTs, retried with exponential back-off, one
//! at a time per endpoint and tenant so that a receiver sees a tenant's
//! events in order. Each delivery keeps its status, attempts and last answer
//! for the delivery log; a failed one can be re-sent by hand.
//!
//! Two queues with one behaviour: deliveries to the platform's endpoints are
//! catalog rows that the events worker attempts ([`platform_queue`]);
//! deliveries to a tenant's endpoints live in its tenant plane and are
//! attempted by a job of the tenant's job queue ([`tenant_queue`]).

pub mod platform_queue;
pub mod tenant_queue;

pub use tenant_queue::DeliverWebhooks;

use super::endpoints::{self, Endpoint, Owner};
use super::{signature, LifecycleEvent};
use crate::config::Settings;
use crate::entities::search::{filter_word, Page, Place};
use crate::error::Result;
use crate::tenancy::Engine;
use serde::Serialize;
use std::time::Duration;
use tenantry_vocab::DeliveryState;

pub const PENDING: &str = DeliveryState::Pending.as_str();
pub const DELIVERED: &str = DeliveryState::Delivered.as_str();
pub const FAILED: &str = DeliveryState::Failed.as_str();

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

/// A log line from either queue's delivery row `$row`, given its event's
/// id, kind and tenant slug.
macro_rules! delivery_view {
    ($row:ident, $event_id:expr, $event_type:expr, $tenant_slug:expr) => {
        DeliveryView {
            id: $row.id,
            event_id: $event_id,
            event_type: $event_type,
            tenant_slug: $tenant_slug,
            next_attempt_at: ($row.status == PENDING).then_some($row.next_attempt_at),
            status: $row.status,
            attempts: $row.attempts,
            last_status: $row.last_status,
            last_error: $row.last_error,
            last_response: $row.last_response,
            last_attempt_at: $row.last_attempt_at,
            delivered_at: $row.delivered_at,
            created_at: $row.created_at,
        }
    };
}
use delivery_view;

/// The delay before attempt `attempts + 1` (see [`crate::retry::backoff`]).
pub fn backoff(settings: &Settings, attempts: i32) -> chrono::Duration {
    crate::retry::backoff(settings.webhook_retry_base_ms, attempts)
}

/// How long one attempt holds its delivery, so no other process attempts it:
/// the attempt's own timeout and a margin to record it.
fn lease(settings: &Settings) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(settings.webhook_timeout_secs).unwrap_or(60) + 5)
}

/// The HTTP client for deliveries, under the outbound policy
/// (`crate::outbound`): public addresses only unless the deployment allows
/// insecure targets (development, tests).
pub fn client(settings: &Settings) -> reqwest::Client {
    crate::outbound::client(
        crate::outbound::Destination::Webhook,
        settings,
        Duration::from_secs(settings.webhook_timeout_secs.max(1)),
        "Webhooks/1",
    )
}

/// Starts every due delivery to the platform's endpoints that is first in
/// line; does not wait for them. Returns how many were started. (A tenant's
/// deliveries are its jobs' work.)
pub async fn deliver_due(engine: &Engine, client: &reqwest::Client) -> Result<usize> {
    platform_queue::deliver_due(engine, client).await
}

/// The owner's endpoint `endpoint`'s deliveries, in the order chosen, a page at a
/// time from the `place` read to, only those in state `status` when one is
/// named (`pending`, `delivered`, `failed`).
pub async fn log(
    engine: &Engine,
    owner: Owner<'_>,
    endpoint: uuid::Uuid,
    status: &str,
    place: &Place,
) -> Result<Page<DeliveryView>> {
    let expected = "pending, delivered or failed";
    let status = filter_word("status", status, DeliveryState::parse, expected)?;
    match owner {
        Owner::Platform => platform_queue::log(engine, endpoint, status, place).await,
        Owner::Tenant(ctx) => tenant_queue::log(ctx, endpoint, status, place).await,
    }
}

/// Queues the owner's delivery `id` again now, with a fresh set of attempts;
/// anyone else's is not found.
pub async fn resend(engine: &Engine, owner: Owner<'_>, id: uuid::Uuid, actor: &str) -> Result<()> {
    match owner {
        Owner::Platform => platform_queue::resend(engine, id, actor).await?,
        Owner::Tenant(ctx) => tenant_queue::resend(ctx, id, actor).await?,
    }
    engine.events().wake();
    Ok(())
}

/// A receiver's answer, or why there was none.
struct Answer {
    status: Option<u16>,
    body: Option<String>,
    error: Option<String>,
}

impl Answer {
    fn failed(error: impl Into<String>) -> Self {
        Answer {
            status: None,
            body: None,
            error: Some(error.into()),
        }
    }
}

/// What one attempt leaves on its delivery.
struct Attempted {
    attempts: i32,
    status: &'static str,
    last_status: Option<i32>,
    last_response: Option<String>,
    last_error: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
    next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Attempted {
    fn new(settings: &Settings, attempts_before: i32, answer: Answer) -> Self {
        let at = chrono::Utc::now();
        let attempts = attempts_before + 1;
        let max = i32::try_from(settings.webhook_max_attempts.max(1)).unwrap_or(i32::MAX);
        let (status, next_attempt_at) = match &answer.error {
            None => (DELIVERED, None),
            Some(_) if attempts >= max => (FAILED, Some(at + backoff(settings, attempts))),
            Some(_) => (PENDING, Some(at + backoff(settings, attempts))),
        };
        Attempted {
            attempts,
            status,
            last_status: answer.status.map(i32::from),
            last_response: answer.body,
            last_error: answer.error,
            at,
            next_attempt_at,
        }
    }

    /// The attempt's outcome as the metrics count it.
    fn outcome(&self) -> crate::observe::Delivery {
        use crate::observe::Delivery;
        match self.status {
            DELIVERED => Delivery::Delivered,
            FAILED => Delivery::Failed,
            _ => Delivery::Retried,
        }
    }
}

/// Writes an attempt's outcome into either queue's active model.
macro_rules! set_attempted {
    ($active:expr, $done:expr) => {{
        let done = $done;
        $active.attempts = sea_orm::Set(done.attempts);
        $active.status = sea_orm::Set(done.status.to_owned());
        $active.last_attempt_at = sea_orm::Set(Some(done.at));
        $active.last_status = sea_orm::Set(done.last_status);
        $active.last_response = sea_orm::Set(done.last_response);
        $active.last_error = sea_orm::Set(done.last_error);
        match done.next_attempt_at {
            Some(next) => $active.next_attempt_at = sea_orm::Set(next),
            None => $active.delivered_at = sea_orm::Set(Some(done.at)),
        }
    }};
}
use set_attempted;

/// Signs and POSTs `event` to `endpoint`; `with_actor` for the platform's
/// endpoints only (a tenant's do not see which operator acted).
async fn send(
    engine: &Engine,
    client: &reqwest::Client,
    endpoint: &Endpoint,
    delivery: uuid::Uuid,
    event: &LifecycleEvent,
    with_actor: bool,
) -> Answer {
    if !endpoint.enabled {
        return Answer::failed("endpoint disabled");
    }
    // Checked again at send time: the deployment's policy may have changed.
    if let Err(e) = endpoints::parse_url(engine, &endpoint.url) {
        return Answer::failed(e.to_string());
    }
    let body = match serde_json::to_vec(&event.payload(with_actor)) {
        Ok(body) => body,
        Err(e) => return Answer::failed(format!("payload: {e}")),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let signed = signature::sign(&endpoint.signing_secrets(), timestamp, &body);
    let request = client
        .post(&endpoint.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(signature::HEADER, signed)
        .header("Webhook-Event-Id", event.id.to_string())
        .header("Webhook-Event-Type", event.kind.as_str())
        .header("Webhook-Delivery-Id", delivery.to_string())
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
        Err(e) => Answer::failed(describe(&e.without_url())),
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
