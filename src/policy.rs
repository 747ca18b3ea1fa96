//! The policy snapshot: every plan and every feature flag, held in memory by
//! each server so that entitlement and flag checks cost no query.
//!
//! Freshness, within a second and failing towards a reload:
//! - a change made through this process reloads the snapshot at once;
//! - other processes' changes arrive by Redis pub/sub when `redis_url` is set
//!   (the writer publishes), else by Postgres `NOTIFY tenantry_policy` (a
//!   trigger on `plans` and `flags`); either marks the snapshot stale and the
//!   next request reloads it;
//! - while that channel is down, and on SQLite without Redis, the snapshot is
//!   reloaded when it is older than a second.

use crate::entities::catalog::{flag, meter, plan};
use crate::error::Result;
use crate::flags::FlagDefinition;
use crate::listen::{self, Signal};
use crate::plans::meters::Meter;
use crate::plans::Plan;
use sea_orm::{ConnectionTrait, EntityTrait};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub mod enforce;
mod flags;

pub use enforce::Effective;
pub use flags::TenantFlags;

const POSTGRES_CHANNEL: &str = "tenantry_policy";
pub(crate) const REDIS_CHANNEL: &str = "tenantry:policy";
/// How old a snapshot may get without a live invalidation channel.
const UNWATCHED_TTL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Policy {
    pub plans: HashMap<String, Arc<Plan>>,
    pub flags: BTreeMap<String, Arc<FlagDefinition>>,
    pub meters: BTreeMap<String, Meter>,
}

impl Policy {
    pub fn plan(&self, key: &str) -> Option<&Arc<Plan>> {
        self.plans.get(key)
    }

    pub(crate) async fn load(conn: &impl ConnectionTrait) -> Result<Self> {
        let plans = plan::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|m| (m.key.clone(), Arc::new(Plan::from_model(m))))
            .collect();
        let mut flags = BTreeMap::new();
        for m in flag::Entity::find().all(conn).await? {
            match crate::flags::store::definition(m) {
                Ok(definition) => {
                    flags.insert(definition.key.clone(), Arc::new(definition));
                }
                Err(e) => tracing::error!(error = ?e, "stored flag unreadable; it reads as off"),
            }
        }
        let mut meters = BTreeMap::new();
        for m in meter::Entity::find().all(conn).await? {
            let key = m.key.clone();
            match Meter::from_model(m) {
                Some(meter) => {
                    meters.insert(key, meter);
                }
                None => tracing::error!(
                    meter = key,
                    "stored meter unreadable; its events are refused"
                ),
            }
        }
        Ok(Self {
            plans,
            flags,
            meters,
        })
    }
}

pub struct PolicyCache {
    current: RwLock<(Arc<Policy>, Option<Instant>)>,
    /// Set by a notification: reload before the next use.
    stale: AtomicBool,
    /// Whether an invalidation channel is connected.
    watched: AtomicBool,
    reload: tokio::sync::Mutex<()>,
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl PolicyCache {
    /// Watches Redis when given, else Postgres at `postgres_url` when given,
    /// else nothing (a snapshot then lives a second).
    pub(crate) fn new(redis: Option<redis::Client>, postgres_url: Option<String>) -> Arc<Self> {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let watching = redis.is_some() || postgres_url.is_some();
        let cache = Arc::new(Self {
            current: RwLock::new((Arc::new(Policy::default()), None)),
            stale: AtomicBool::new(true),
            watched: AtomicBool::new(false),
            reload: tokio::sync::Mutex::new(()),
            _stop: watching.then_some(stop),
        });
        match (redis, postgres_url) {
            (Some(client), _) => listen::watch(
                &cache,
                listen::Source::Redis(client),
                REDIS_CHANNEL,
                stopped,
            ),
            (None, Some(url)) => listen::watch(
                &cache,
                listen::Source::Postgres(url),
                POSTGRES_CHANNEL,
                stopped,
            ),
            (None, None) => {}
        }
        cache
    }

    /// The snapshot as it is (possibly a second stale, or empty before the
    /// first load). Request handling gets a fresh one from the gateway.
    pub fn now(&self) -> Arc<Policy> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    fn fresh(&self) -> Option<Arc<Policy>> {
        if self.stale.load(Ordering::Acquire) {
            return None;
        }
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        let loaded_at = current.1?;
        let trusted = self.watched.load(Ordering::Acquire) || loaded_at.elapsed() < UNWATCHED_TTL;
        trusted.then(|| current.0.clone())
    }

    /// A fresh snapshot, reloading it when needed (one reload at a time).
    pub(crate) async fn get(&self, conn: &impl ConnectionTrait) -> Result<Arc<Policy>> {
        if let Some(policy) = self.fresh() {
            return Ok(policy);
        }
        let _one_at_a_time = self.reload.lock().await;
        if let Some(policy) = self.fresh() {
            return Ok(policy);
        }
        self.reload_now(conn).await
    }

    /// The snapshot as held once one was loaded (no reload, so no connection
    /// is needed: checks made inside a tenant transaction must not wait for a
    /// second one); loaded first if there is none yet.
    pub(crate) async fn held(&self, conn: &impl ConnectionTrait) -> Result<Arc<Policy>> {
        {
            let current = self.current.read().unwrap_or_else(|e| e.into_inner());
            if current.1.is_some() {
                return Ok(current.0.clone());
            }
        }
        self.get(conn).await
    }

    /// Reloads whatever the state: after a change made through this process.
    pub(crate) async fn reload_now(&self, conn: &impl ConnectionTrait) -> Result<Arc<Policy>> {
        // Cleared before reading: a notification during the load marks the
        // new snapshot stale again.
        self.stale.store(false, Ordering::Release);
        let policy = Arc::new(Policy::load(conn).await.inspect_err(|_| {
            self.stale.store(true, Ordering::Release);
        })?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) =
            (policy.clone(), Some(Instant::now()));
        Ok(policy)
    }
}

impl listen::Watched for PolicyCache {
    fn hear(&self, signal: Signal<'_>) {
        self.stale.store(true, Ordering::Release);
        match signal {
            Signal::Up => self.watched.store(true, Ordering::Release),
            Signal::Down => self.watched.store(false, Ordering::Release),
            Signal::Changed(_) => {}
        }
    }
}
