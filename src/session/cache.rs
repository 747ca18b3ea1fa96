//! Sessions held in memory, so that a request does not read its session from
//! the catalog (a checkout and a query) every time.
//!
//! Staleness is bounded and fails closed, as the tenant map's
//! (`tenancy::cache`):
//! - every write of this process to a session (save, delete, revoking a
//!   member's sessions, a tenant's purge) evicts it at once;
//! - on Postgres a trigger on `sessions` sends `NOTIFY tenantry_sessions` with
//!   a digest of the session's id (never the id: it is the cookie's secret),
//!   and every instance evicts that session. While the listener is not
//!   connected the cache is bypassed, and it is cleared on reconnect;
//! - on SQLite (one server process, but the CLI may change sessions beside
//!   it) entries expire after a second;
//! - a cached session is served only until its own expiry.

use crate::listen::{self, Signal};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tower_sessions::session::{Id, Record};
use uuid::Uuid;

const CHANNEL: &str = "tenantry_sessions";
/// Sessions held at most; past it the cache starts again empty (a burst of
/// sign-ins costs reads, never memory without bound).
const MAX_ENTRIES: usize = 100_000;

pub struct SessionCache {
    entries: RwLock<HashMap<String, Cached>>,
    /// Whether cached entries may be served (Postgres: the listener is up).
    live: AtomicBool,
    /// How long an entry may be served without an invalidation channel.
    ttl: Option<Duration>,
    /// Bumped by every eviction: a load that raced with one does not store
    /// what it read.
    generation: AtomicU64,
    /// Dropped with the cache, which stops its listener.
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

struct Cached {
    record: Record,
    /// Whose session it is, so that revoking a member's sessions can evict
    /// them without knowing their ids.
    subject: Option<Uuid>,
    at: Instant,
}

/// The key a session is held under and notified as: a SHA-256 of its id, in
/// hex (the trigger computes the same from the row's `id`).
pub(crate) fn digest(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

impl SessionCache {
    /// For SQLite: entries expire after `ttl`.
    pub(crate) fn with_ttl(ttl: Duration) -> Arc<Self> {
        Arc::new(Self::new(true, Some(ttl), None))
    }

    /// For Postgres: served only while the listener for `url` is connected.
    pub(crate) fn listening(url: String) -> Arc<Self> {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let cache = Arc::new(Self::new(false, None, Some(stop)));
        listen::watch(&cache, listen::Source::Postgres(url), CHANNEL, stopped);
        cache
    }

    fn new(
        live: bool,
        ttl: Option<Duration>,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Self {
        Self {
            entries: RwLock::default(),
            live: AtomicBool::new(live),
            ttl,
            generation: AtomicU64::new(0),
            _stop: stop,
        }
    }

    /// The session held for `id`, if it may be served.
    pub(crate) fn get(&self, id: &Id) -> Option<Record> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let cached = entries.get(&digest(id))?;
        let stale = self.ttl.is_some_and(|ttl| cached.at.elapsed() > ttl);
        let expired =
            cached.record.expiry_date <= tower_sessions::cookie::time::OffsetDateTime::now_utc();
        (!stale && !expired).then(|| cached.record.clone())
    }

    /// Read before loading a session from the catalog, passed to [`put`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Holds a session loaded when the cache was at `generation`, unless an
    /// eviction happened since (the row may predate that change).
    pub(crate) fn put(&self, record: &Record, subject: Option<Uuid>, generation: u64) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let cached = Cached {
            record: record.clone(),
            subject,
            at: Instant::now(),
        };
        entries.insert(digest(&record.id), cached);
    }

    /// Drops one session (it changed or ended).
    pub(crate) fn forget(&self, id: &Id) {
        self.forget_digest(&digest(id));
    }

    fn forget_digest(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
    }

    /// Drops every session of `subject` (its sessions were revoked).
    pub(crate) fn forget_subject(&self, subject: Uuid) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, cached| cached.subject != Some(subject));
    }

    /// Drops everything (sessions changed in ways not worth tracking one by
    /// one, such as a tenant's purge).
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Sessions currently held.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Evicts on every notification; any disconnection makes the cache bypassed
/// until reconnected, and it starts empty then.
impl listen::Watched for SessionCache {
    fn hear(&self, signal: Signal<'_>) {
        match signal {
            Signal::Up => {
                self.clear();
                self.live.store(true, Ordering::Release);
            }
            Signal::Changed(key) => self.forget_digest(key),
            Signal::Down => {
                self.live.store(false, Ordering::Release);
                self.clear();
            }
        }
    }
}
