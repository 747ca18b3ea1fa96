//! In-process subscribers and the dispatcher's wake-up call.

use super::LifecycleEvent;
use std::sync::{Arc, RwLock};
use tokio::sync::{Notify, Semaphore};

/// A typed in-process consumer of lifecycle events. Called at least once per
/// event, in order per tenant; an error makes the dispatcher retry the event
/// (with back-off) and hold that tenant's later events until it succeeds.
#[async_trait::async_trait]
pub trait Subscriber: Send + Sync + 'static {
    /// Names the subscriber in logs.
    fn name(&self) -> &'static str;
    async fn handle(&self, event: &LifecycleEvent) -> anyhow::Result<()>;
}

pub struct Bus {
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
    wake: Notify,
    /// Webhook attempts in flight in this process.
    in_flight: Arc<Semaphore>,
}

/// Webhook attempts in flight at once, across all endpoints.
const MAX_IN_FLIGHT: usize = 32;

impl Default for Bus {
    fn default() -> Self {
        Self {
            subscribers: RwLock::default(),
            wake: Notify::new(),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        }
    }
}

impl Bus {
    pub(crate) fn in_flight(&self) -> Arc<Semaphore> {
        self.in_flight.clone()
    }

    pub fn subscribe(&self, subscriber: Arc<dyn Subscriber>) {
        self.subscribers
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(subscriber);
    }

    pub(crate) fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        self.subscribers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Tells this process's dispatcher that an event was committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}
