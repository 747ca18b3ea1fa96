//! A cache whose keys carry their tenant by construction.
//!
//! A [`CacheKey`] is made only from a [`TenantCtx`] (the resolved tenant's
//! id leads the key) or from a platform scope (a fixed prefix no tenant key
//! can have), so two tenants' identical logical keys — `("export.progress",
//! 7)` in A and in B — are two keys, and no code can write under another
//! tenant's, or under none. The rate limiter's buckets are keyed the same
//! way (`crate::ratelimit`).
//!
//! Values live in this process by default, or in Redis when `redis_url` is
//! set, so that every instance sees one value. In memory on PostgreSQL,
//! [`Cache::forget`] tells the other instances by `NOTIFY` (the hash of the
//! key, never the key: a key may hold an address) and a cache whose
//! listener is down serves nothing until it is back.

mod memory;

use crate::redis::Redis;
use crate::tenancy::{Notifier, TenantCtx};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

/// A key under one tenant or under the platform; see the module's notes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// `logical` in `space`, under the context's tenant.
    pub fn tenant(ctx: &TenantCtx, space: &'static str, logical: impl Display) -> Self {
        Self(format!("t:{}:{space}:{logical}", ctx.id()))
    }

    /// `logical` in `space`, under the platform (not any tenant's): for
    /// what is counted across tenants, such as sign-in attempts from one
    /// client address.
    pub fn platform(space: &'static str, logical: impl Display) -> Self {
        Self(format!("p:{space}:{logical}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The channel on which in-memory caches hear keys forgotten elsewhere.
const CHANNEL: &str = "tenantry_cache";

pub struct Cache {
    memory: Arc<memory::Memory>,
    redis: Option<Arc<Redis>>,
    /// Where [`Cache::forget`] tells the other instances (PostgreSQL, in
    /// memory mode).
    notify: Option<Notifier>,
}

impl Cache {
    /// In Redis when `redis` is given. Otherwise in memory; with `listen`
    /// (a PostgreSQL URL) and `notify` (a connection to it), in step with
    /// the other instances.
    pub(crate) fn new(
        redis: Option<Arc<Redis>>,
        listen: Option<String>,
        notify: Option<Notifier>,
    ) -> Self {
        let memory = match (&redis, listen) {
            (None, Some(url)) => memory::Memory::listening(url, CHANNEL),
            _ => memory::Memory::alone(),
        };
        Self {
            memory,
            notify: if redis.is_none() { notify } else { None },
            redis,
        }
    }

    /// The value under `key`, if one is held and has not expired.
    pub async fn get<T: DeserializeOwned>(&self, key: &CacheKey) -> Option<T> {
        let text = match &self.redis {
            Some(redis) => match redis.get(&redis_key(key)).await {
                Ok(text) => text,
                Err(e) => {
                    tracing::warn!(error = %e, "cache: redis unavailable; nothing served");
                    None
                }
            },
            None => self.memory.get(key),
        }?;
        serde_json::from_str(&text).ok()
    }

    /// Holds `value` under `key` for `ttl`.
    pub async fn put<T: Serialize>(&self, key: &CacheKey, value: &T, ttl: Duration) {
        let Ok(text) = serde_json::to_string(value) else {
            return;
        };
        match &self.redis {
            Some(redis) => {
                if let Err(e) = redis.set(&redis_key(key), &text, ttl).await {
                    tracing::warn!(error = %e, "cache: redis unavailable; value not kept");
                }
            }
            None => self.memory.put(key, text, ttl),
        }
    }

    /// Drops `key` here and on every other instance.
    pub async fn forget(&self, key: &CacheKey) {
        match &self.redis {
            Some(redis) => {
                if let Err(e) = redis.delete(&redis_key(key)).await {
                    // Expires by its time to live.
                    tracing::error!(error = %e, "cache: could not forget a key in redis");
                }
            }
            None => {
                self.memory.forget(key);
                if let Some(notifier) = &self.notify {
                    if let Err(e) = notifier.notify(CHANNEL, &memory::hash(key)).await {
                        tracing::error!(error = %e, "cache: could not tell other instances a key was forgotten");
                    }
                }
            }
        }
    }
}

fn redis_key(key: &CacheKey) -> String {
    format!("tenantry:cache:{}", key.as_str())
}
