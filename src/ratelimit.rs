//! Per-tenant request rate limits with GCRA (the generic cell rate
//! algorithm: a token bucket kept as one timestamp per key, the "theoretical
//! arrival time"). Counters live in memory by default, or in Redis when
//! `redis_url` is set so that every instance shares them. Keys are made by
//! a [`CacheKey`] — under the resolved tenant, or under the platform for
//! what counts across tenants — never from anything the client sends alone.
//!
//! If Redis cannot be reached the limiter falls back to this instance's
//! memory rather than refusing every request or letting every request
//! through.

pub mod gcra;
mod redis_store;

use crate::cache::CacheKey;
use crate::redis::Redis;
use std::sync::Arc;
use std::time::Duration;

/// A sustained rate and how many requests may arrive at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    pub burst: u32,
}

impl Rate {
    /// `per_second` requests a second, `burst` at once.
    pub fn per_second(per_second: u32, burst: u32) -> Self {
        Self::per_period(per_second, Duration::from_secs(1), burst)
    }

    /// `count` requests per `period`, `burst` at once.
    pub fn per_period(count: u32, period: Duration, burst: u32) -> Self {
        Self {
            interval: (period / count.max(1)).max(Duration::from_nanos(1)),
            burst: burst.max(1),
        }
    }

    /// Time between two requests at the sustained rate.
    pub fn interval(self) -> Duration {
        self.interval
    }

    /// The sustained rate, per second.
    pub fn sustained_per_second(self) -> f64 {
        1.0 / self.interval.as_secs_f64()
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
    pub async fn check(&self, key: &CacheKey, rate: Rate) -> Decision {
        self.decide(key, rate, true).await
    }

    /// What [`RateLimiter::check`] would decide now, without counting (for
    /// limits that count only failures, like sign-in attempts).
    pub async fn peek(&self, key: &CacheKey, rate: Rate) -> Decision {
        self.decide(key, rate, false).await
    }

    async fn decide(&self, key: &CacheKey, rate: Rate, count: bool) -> Decision {
        if let Some(redis) = &self.redis {
            match redis_store::check(redis, key.as_str(), rate, count).await {
                Ok(decision) => return decision,
                Err(e) => {
                    tracing::warn!(error = %e, "rate limiter: redis unavailable; limiting in memory");
                }
            }
        }
        self.memory.check(key.as_str(), rate, count)
    }
}
