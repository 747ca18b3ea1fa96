//! The cache in this process's memory: values by the SHA-256 of their key,
//! each with its expiry.

use super::CacheKey;
use crate::listen::{Signal, Watched};
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
    _stop: Mutex<Option<oneshot::Sender<()>>>,
}

pub(super) fn hash(key: &CacheKey) -> String {
    hex::encode(Sha256::digest(key.as_str().as_bytes()))
}

impl Memory {
    /// One process: nothing to hear from others.
    pub(super) fn alone() -> Arc<Self> {
        Arc::new(Self::with_live(true))
    }

    /// In step with other instances once its listener is up.
    pub(super) fn listening() -> Arc<Self> {
        Arc::new(Self::with_live(false))
    }

    fn with_live(live: bool) -> Self {
        Self {
            entries: Mutex::default(),
            live: AtomicBool::new(live),
            _stop: Mutex::new(None),
        }
    }

    /// A signal that fires when this cache is dropped, for its listener.
    pub(super) fn stop_on_drop(&self) -> oneshot::Receiver<()> {
        let (stop, stopped) = oneshot::channel();
        *self._stop.lock().unwrap_or_else(|e| e.into_inner()) = Some(stop);
        stopped
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
