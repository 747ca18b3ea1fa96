//! Per-tenant request rate limits with GCRA (the generic cell rate
//! algorithm: a token bucket kept as one timestamp per key, the "theoretical
//! arrival time"). Counters live in memory by default, or in Redis when
//! `redis_url` is set so that every instance shares them. Keys are made by
//! the gateway from the resolved tenant (and later the API key), never from
//! anything the client sends.
//!
//! If Redis cannot be reached the limiter falls back to this instance's
//! memory rather than refusing every request or letting every request
//! through.

pub mod gcra;
mod redis_store;

use crate::redis::Redis;
use std::sync::Arc;
use std::time::Duration;

/// A sustained rate and how many requests may arrive at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

impl Rate {
    /// Time between two requests at the sustained rate.
    pub fn interval(self) -> Duration {
        Duration::from_nanos(1_000_000_000 / u64::from(self.per_second.max(1)))
    }

    /// How far ahead of "now" the bucket may be filled: `burst` intervals.
    pub fn tolerance(self) -> Duration {
        self.interval() * self.burst.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests that could still be made at once.
    pub remaining: u32,
    /// When refused: wait this long before retrying.
    pub retry_after: Duration,
    /// Until the bucket is empty again.
    pub reset_after: Duration,
}

pub struct RateLimiter {
    memory: gcra::MemoryStore,
    redis: Option<Arc<Redis>>,
}

impl RateLimiter {
    pub(crate) fn new(redis: Option<Arc<Redis>>) -> Self {
        Self {
            memory: gcra::MemoryStore::default(),
            redis,
        }
    }

    /// Counts one request against `key` at `rate`.
    pub async fn check(&self, key: &str, rate: Rate) -> Decision {
        if let Some(redis) = &self.redis {
            match redis_store::check(redis, key, rate).await {
                Ok(decision) => return decision,
                Err(e) => {
                    tracing::warn!(error = %e, "rate limiter: redis unavailable; limiting in memory");
                }
            }
        }
        self.memory.check(key, rate)
    }
}
