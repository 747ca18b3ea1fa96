//! The cache in this process's memory: values by the SHA-256 of their key,
//! each with its expiry.

use super::CacheKey;
use crate::listen::{self, Signal, Watched};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Entries held at most; past it, expired ones go, then all (a cache may
/// forget anything).
const MAX_ENTRIES: usize = 10_000;

pub(super) struct Memory {
    entries: Mutex<HashMap<String, (String, Instant)>>,
    /// False while the listener is down: notifications may be missed, so
    /// nothing is served.
    live: AtomicBool,
    /// Dropped with the cache, which ends its listener.
    _stop: Option<oneshot::Sender<()>>,
}

pub(super) fn hash(key: &CacheKey) -> String {
    hex::encode(Sha256::digest(key.as_str().as_bytes()))
}

impl Memory {
    /// One process: nothing to hear from others.
    pub(super) fn alone() -> Arc<Self> {
        Arc::new(Self {
            entries: Mutex::default(),
            live: AtomicBool::new(true),
            _stop: None,
        })
    }

    /// In step with the other instances through `channel` of PostgreSQL at
    /// `url`, serving once its listener is up.
    pub(super) fn listening(url: String, channel: &'static str) -> Arc<Self> {
        let (stop, stopped) = oneshot::channel();
        let memory = Arc::new(Self {
            entries: Mutex::default(),
            live: AtomicBool::new(false),
            _stop: Some(stop),
        });
        listen::watch(&memory, listen::Source::Postgres(url), channel, stopped);
        memory
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn get(&self, key: &CacheKey) -> Option<String> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries();
        let (text, expires) = entries.get(&hash(key))?;
        (*expires > Instant::now()).then(|| text.clone())
    }

    pub(super) fn put(&self, key: &CacheKey, text: String, ttl: Duration) {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (_, expires)| *expires > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(hash(key), (text, Instant::now() + ttl));
    }

    pub(super) fn forget(&self, key: &CacheKey) {
        self.entries().remove(&hash(key));
    }
}

impl Watched for Memory {
    fn hear(&self, signal: Signal<'_>) {
        match signal {
            Signal::Changed(hash) => {
                self.entries().remove(hash);
            }
            Signal::Up => {
                self.entries().clear();
                self.live.store(true, Ordering::Release);
            }
            Signal::Down => {
                self.live.store(false, Ordering::Release);
                self.entries().clear();
            }
        }
    }
}
