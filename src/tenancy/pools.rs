//! Per-tenant connection pools (one per SQLite file, one per Postgres
//! `database` placement), opened lazily and bounded globally.
//!
//! The bound is on connections, not pools: every open pool reserves as many
//! slots of a global semaphore as it may hold connections, and gives them back
//! only once it is closed. So the total of connections to tenant databases can
//! never exceed the configured number. When no slot is free, the least
//! recently used idle pool is closed; when every pool is busy, the caller
//! waits (up to the acquire timeout) instead of opening more.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify, OwnedSemaphorePermit, Semaphore};

/// How long a request waits for a busy fleet of tenant pools before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct PoolCache {
    slots: Arc<Semaphore>,
    per_pool: u32,
    max_pools: usize,
    open: Mutex<HashMap<String, Entry>>,
    clock: AtomicU64,
    released: Arc<Notify>,
}

struct Entry {
    conn: DatabaseConnection,
    last_used: u64,
    leases: Arc<AtomicUsize>,
    slots: OwnedSemaphorePermit,
}

/// Held while a transaction uses a pool: the pool is not evicted meanwhile.
pub struct Lease {
    leases: Arc<AtomicUsize>,
    released: Arc<Notify>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.leases.fetch_sub(1, Ordering::AcqRel);
        self.released.notify_waiters();
    }
}

impl PoolCache {
    /// `total` connections across at most `max_pools` pools of `per_pool`.
    pub(super) fn new(total: u32, per_pool: u32, max_pools: usize) -> Self {
        let per_pool = per_pool.clamp(1, total.max(1));
        Self {
            slots: Arc::new(Semaphore::new(total.max(1) as usize)),
            per_pool,
            max_pools: max_pools.max(1),
            open: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            released: Arc::new(Notify::new()),
        }
    }

    /// The pool for `key`, opened from `url` if needed, with a lease that keeps
    /// it open while the caller uses it.
    pub(super) async fn get(
        &self,
        key: &str,
        url: &str,
    ) -> Result<(DatabaseConnection, Lease), DbErr> {
        let deadline = tokio::time::Instant::now() + ACQUIRE_TIMEOUT;
        loop {
            // Registered before looking, so a release in between is not missed.
            let released = self.released.notified();
            if let Some(found) = self.lease_open(key).await {
                return Ok(found);
            }
            if let Some(slots) = self.reserve().await {
                return self.open_with(key, url, slots).await;
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                return Err(DbErr::Custom(
                    "all tenant database connections are busy; try again".into(),
                ));
            }
        }
    }

    async fn lease_open(&self, key: &str) -> Option<(DatabaseConnection, Lease)> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open.lock().await;
        let entry = open.get_mut(key)?;
        entry.last_used = now;
        Some((entry.conn.clone(), self.lease(&entry.leases)))
    }

    fn lease(&self, leases: &Arc<AtomicUsize>) -> Lease {
        leases.fetch_add(1, Ordering::AcqRel);
        Lease {
            leases: leases.clone(),
            released: self.released.clone(),
        }
    }

    /// Slots for one more pool: free ones, or those of the least recently
    /// used idle pool, which is closed. `None` when every pool is busy.
    async fn reserve(&self) -> Option<OwnedSemaphorePermit> {
        loop {
            let under_pool_limit = self.open.lock().await.len() < self.max_pools;
            if under_pool_limit {
                if let Ok(slots) = self.slots.clone().try_acquire_many_owned(self.per_pool) {
                    return Some(slots);
                }
            }
            let (key, victim) = {
                let mut open = self.open.lock().await;
                let idle = open
                    .iter()
                    .filter(|(_, e)| e.leases.load(Ordering::Acquire) == 0)
                    .min_by_key(|(_, e)| e.last_used)
                    .map(|(key, _)| key.clone())?;
                open.remove_entry(&idle)?
            };
            // The slots come back once its connections are really closed, or
            // when closing outlasts the acquire timeout: a connection still
            // out after that is held by a stuck task, which must not stall
            // every tenant that needs a pool (it closes when returned).
            if tokio::time::timeout(ACQUIRE_TIMEOUT, victim.conn.close())
                .await
                .is_err()
            {
                tracing::error!(pool = %key, "an evicted tenant pool did not close in time");
            }
            drop(victim.slots);
        }
    }

    async fn open_with(
        &self,
        key: &str,
        url: &str,
        slots: OwnedSemaphorePermit,
    ) -> Result<(DatabaseConnection, Lease), DbErr> {
        let conn = connect(url, self.per_pool).await?;
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open.lock().await;
        if let Some(existing) = open.get_mut(key) {
            // Opened concurrently by another request: use that one.
            existing.last_used = now;
            let found = (existing.conn.clone(), self.lease(&existing.leases));
            drop(open);
            let _ = conn.close().await;
            drop(slots);
            return Ok(found);
        }
        let leases = Arc::new(AtomicUsize::new(0));
        let lease = self.lease(&leases);
        open.insert(
            key.to_owned(),
            Entry {
                conn: conn.clone(),
                last_used: now,
                leases,
                slots,
            },
        );
        Ok((conn, lease))
    }

    /// Closes the pool for `key`, if open (before its database is dropped).
    pub(super) async fn close(&self, key: &str) -> Result<(), DbErr> {
        let entry = self.open.lock().await.remove(key);
        if let Some(entry) = entry {
            entry.conn.close().await?;
            drop(entry.slots);
        }
        Ok(())
    }

    /// Pings every idle pool and closes those that fail, so a restarted or
    /// dropped database does not keep failing requests.
    pub(super) async fn check_health(&self) -> usize {
        let idle: Vec<(String, DatabaseConnection)> = {
            let open = self.open.lock().await;
            open.iter()
                .filter(|(_, e)| e.leases.load(Ordering::Acquire) == 0)
                .map(|(k, e)| (k.clone(), e.conn.clone()))
                .collect()
        };
        let mut closed = 0;
        for (key, conn) in idle {
            if conn.execute_unprepared("SELECT 1").await.is_err() {
                tracing::warn!(pool = %key, "tenant pool failed its health check; closing it");
                let _ = self.close(&key).await;
                closed += 1;
            }
        }
        closed
    }

    /// Connections in use and idle, summed over the open pools.
    pub(super) async fn connections(&self) -> (u64, u64) {
        let open = self.open.lock().await;
        open.values().fold((0, 0), |(busy, idle), entry| {
            let (b, i) = usage(&entry.conn);
            (busy + b, idle + i)
        })
    }

    pub(super) async fn open_count(&self) -> usize {
        self.open.lock().await.len()
    }

    /// Connection slots currently reserved by open pools.
    pub(super) fn reserved_connections(&self, total: u32) -> usize {
        total as usize - self.slots.available_permits()
    }
}

/// A pool's connections in use and idle.
pub(super) fn usage(conn: &DatabaseConnection) -> (u64, u64) {
    let (size, idle) = match conn.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = idle as u64;
    (u64::from(size).saturating_sub(idle), idle)
}

async fn connect(url: &str, size: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(size)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .sqlx_logging(false);
    Database::connect(tuned(&mut options)).await
}

/// How long a pooled connection may sit idle and still be handed out
/// without a ping. sqlx pings every connection it hands out by default: a
/// round trip each request waits for, several per page. A connection used
/// this recently is almost surely alive (the window HikariCP skips its check
/// in is 0.5 s); one PostgreSQL ended within it fails at its `BEGIN`, which
/// `TenantDb` sends again on another connection.
pub const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Every pool runs without sqlx's background reaper (no idle timeout, no
/// maximum lifetime; it runs only when one is set, and sqlx sets both by
/// default). In sqlx 0.9.0 a connection released while another task takes
/// one can wrap the pool's idle count below zero, and the reaper then loops
/// over that count, spinning a runtime thread at 100 % for good (sqlx issue
/// 3645, fixed after the release we use). Seen here: a test process stuck
/// for 24 minutes in the reaper of a SQLite pool. Idle pools of tenant
/// databases are closed whole by [`PoolCache`] instead.
///
/// And every pool pings a connection on checkout only once it has been idle
/// for [`IDLE_BEFORE_PING`].
pub(super) fn tuned(options: &mut ConnectOptions) -> ConnectOptions {
    options
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .idle_timeout(None::<Duration>)
        .max_lifetime(None::<Duration>)
        .to_owned()
}
