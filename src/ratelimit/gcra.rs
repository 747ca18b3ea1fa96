//! GCRA over a theoretical arrival time (TAT) per key. A request at `now` is
//! allowed when `max(tat, now) + interval - now <= tolerance`, and then moves
//! the TAT by one interval. From an idle key that allows exactly `burst`
//! requests at once, then one per interval.

use super::{Decision, Rate};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The pure step: the decision and the new TAT (nanoseconds on any clock).
pub fn step(tat: Option<u64>, now: u64, rate: Rate) -> (Decision, u64) {
    let interval = rate.interval().as_nanos() as u64;
    let tolerance = rate.tolerance().as_nanos() as u64;
    let start = tat.unwrap_or(now).max(now);
    let next = start + interval;
    let ahead = next - now;
    if ahead > tolerance {
        let decision = Decision {
            allowed: false,
            remaining: 0,
            retry_after: Duration::from_nanos(ahead - tolerance),
            reset_after: Duration::from_nanos(start - now),
        };
        return (decision, start);
    }
    let decision = Decision {
        allowed: true,
        remaining: ((tolerance - ahead) / interval) as u32,
        retry_after: Duration::ZERO,
        reset_after: Duration::from_nanos(ahead),
    };
    (decision, next)
}

const SHARDS: usize = 16;
/// A shard is swept of idle keys when it grows past this.
const SWEEP_AT: usize = 50_000;

/// In-process counters, sharded so that tenants rarely contend on one lock.
pub struct MemoryStore {
    epoch: Instant,
    shards: [Mutex<HashMap<String, u64>>; SHARDS],
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
        }
    }
}

impl MemoryStore {
    /// Decides for `key`; with `count`, an allowed request moves the key.
    pub fn check(&self, key: &str, rate: Rate, count: bool) -> Decision {
        let now = self.epoch.elapsed().as_nanos() as u64;
        let shard = &self.shards[shard_of(key)];
        let mut tats = shard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stored) = tats.get_mut(key) {
            let (decision, tat) = step(Some(*stored), now, rate);
            if count {
                *stored = tat;
            }
            return decision;
        }
        let (decision, tat) = step(None, now, rate);
        if !count {
            return decision;
        }
        if tats.len() >= SWEEP_AT {
            // A key whose TAT has passed is the same as an absent one.
            tats.retain(|_, tat| *tat > now);
        }
        tats.insert(key.to_owned(), tat);
        decision
    }
}

fn shard_of(key: &str) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish() as usize % SHARDS
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn rate(per_second: u32, burst: u32) -> Rate {
        Rate::per_second(per_second, burst)
    }

    #[test]
    fn an_idle_key_allows_exactly_the_burst_then_one_per_interval() {
        let r = rate(10, 5);
        let mut tat = None;
        let mut allowed = 0;
        for _ in 0..20 {
            let (d, next) = step(tat, 0, r);
            if d.allowed {
                allowed += 1;
            }
            tat = Some(next);
        }
        assert_eq!(allowed, 5, "the burst at one instant");
        let (refused, _) = step(tat, 0, r);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_millis(100));
        let (later, _) = step(tat, 100 * MS, r);
        assert!(later.allowed, "one more after one interval");
    }

    #[test]
    fn the_sustained_rate_is_the_configured_one() {
        let r = rate(50, 1);
        let (mut tat, mut allowed) = (None, 0);
        // Offered at 10× the rate for ten seconds.
        for i in 0..5_000u64 {
            let (d, next) = step(tat, i * 2 * MS, r);
            tat = Some(next);
            allowed += u32::from(d.allowed);
        }
        assert!((499..=501).contains(&allowed), "{allowed} in 10 s at 50/s");
    }

    #[test]
    fn remaining_counts_down_and_keys_are_independent() {
        let store = MemoryStore::default();
        let r = rate(1, 3);
        let remaining: Vec<u32> = (0..3)
            .map(|_| store.check("a", r, true).remaining)
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        assert!(!store.check("a", r, true).allowed);
        assert!(
            store.check("b", r, true).allowed,
            "another key is untouched"
        );
        assert!(store.check("c", r, false).allowed);
        assert_eq!(
            store.check("c", r, false).remaining,
            2,
            "peeking counts nothing"
        );
    }
}
