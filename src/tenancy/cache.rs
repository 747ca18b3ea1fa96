//! The in-memory tenant map: host resolution without a catalog query per
//! request.
//!
//! Staleness is bounded and fails closed:
//! - every write of this process to a tenant's record evicts the tenant at
//!   once;
//! - on Postgres a trigger on `tenants` (touched too when a change in the
//!   tenant's plane, such as its branding, is relayed: `events::relay`) and
//!   on the record tables sends `NOTIFY tenantry_tenants` with the tenant
//!   id, and every instance listens and evicts. While the listener is not connected the map is bypassed
//!   (every lookup goes to the catalog) and it is cleared on reconnect;
//! - on SQLite (one process, but the CLI may change tenants beside it)
//!   entries expire after a second.

use crate::listen::{self, Signal};
use crate::tenancy::TenantRecord;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const CHANNEL: &str = "tenantry_tenants";

pub struct TenantCache {
    entries: RwLock<Entries>,
    /// Whether cached entries may be served (Postgres: the listener is up).
    live: AtomicBool,
    /// How long an entry may be served without an invalidation channel.
    ttl: Option<Duration>,
    /// Bumped by every eviction: a lookup that raced with one does not store
    /// what it read.
    generation: std::sync::atomic::AtomicU64,
    /// Dropped with the cache, which stops its listener.
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

#[derive(Default)]
struct Entries {
    by_slug: HashMap<String, (Arc<TenantRecord>, Instant)>,
    slug_of: HashMap<uuid::Uuid, String>,
    /// Verified custom domain → tenant slug, loaded whole; dropped by any
    /// tenant change (domain changes notify as their tenant's).
    domains: Option<(HashMap<String, String>, Instant)>,
}

impl TenantCache {
    /// For SQLite: entries expire after `ttl`.
    pub(crate) fn with_ttl(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            entries: RwLock::default(),
            live: AtomicBool::new(true),
            ttl: Some(ttl),
            generation: Default::default(),
            _stop: None,
        })
    }

    /// For Postgres: served only while the listener for `url` is connected.
    pub(crate) fn listening(url: String) -> Arc<Self> {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let cache = Arc::new(Self {
            entries: RwLock::default(),
            live: AtomicBool::new(false),
            ttl: None,
            generation: Default::default(),
            _stop: Some(stop),
        });
        listen::watch(&cache, listen::Source::Postgres(url), CHANNEL, stopped);
        cache
    }

    pub(crate) fn get(&self, slug: &str) -> Option<Arc<TenantRecord>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (record, at) = entries.by_slug.get(slug)?;
        match self.ttl {
            Some(ttl) if at.elapsed() > ttl => None,
            _ => Some(record.clone()),
        }
    }

    /// The slug a custom domain routes to (`Some(None)`: known not to route);
    /// `None` when the domain map must be (re)loaded.
    pub(crate) fn domain(&self, host: &str) -> Option<Option<String>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (map, at) = entries.domains.as_ref()?;
        match self.ttl {
            Some(ttl) if at.elapsed() > ttl => None,
            _ => Some(map.get(host).cloned()),
        }
    }

    /// Stores the domain map loaded at `generation`, unless a change
    /// happened since.
    pub(crate) fn put_domains(&self, map: HashMap<String, String>, generation: u64) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            entries.domains = Some((map, Instant::now()));
        }
    }

    /// Read before loading a record from the catalog, passed to [`put`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a record loaded when the cache was at `generation`, unless an
    /// eviction happened since (the record may predate that change).
    pub(crate) fn put(&self, record: Arc<TenantRecord>, generation: u64) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        let slug = record.slug.to_string();
        entries.slug_of.insert(record.id.uuid(), slug.clone());
        entries.by_slug.insert(slug, (record, Instant::now()));
    }

    /// Drops a tenant's entry (it changed).
    pub(crate) fn forget(&self, tenant: uuid::Uuid) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(slug) = entries.slug_of.remove(&tenant) {
            entries.by_slug.remove(&slug);
        }
        entries.domains = None;
    }

    fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *entries = Entries::default();
    }

    /// Whether the map holds the tenant (deletion receipts check it is gone).
    pub fn holds(&self, tenant: uuid::Uuid) -> bool {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .slug_of
            .contains_key(&tenant)
    }

    /// Tenants currently held.
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .by_slug
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Evicts on every notification; any disconnection makes the cache bypassed
/// until reconnected, and it starts empty then.
impl listen::Watched for TenantCache {
    fn hear(&self, signal: Signal<'_>) {
        match signal {
            Signal::Up => {
                self.clear();
                self.live.store(true, Ordering::Release);
            }
            Signal::Changed(payload) => match uuid::Uuid::parse_str(payload) {
                Ok(tenant) => self.forget(tenant),
                Err(_) => self.clear(),
            },
            Signal::Down => {
                self.live.store(false, Ordering::Release);
                self.clear();
            }
        }
    }
}
