//! The embedded default: one SQLite file per tenant under `data/tenants/`.
//! Pools are opened lazily and bounded; the least recently used is closed when
//! the bound is reached.

use super::TenantId;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

pub(super) struct TenantFiles {
    dir: PathBuf,
    max_open: usize,
    open: Mutex<HashMap<TenantId, (DatabaseConnection, u64)>>,
    clock: AtomicU64,
}

impl TenantFiles {
    pub(super) fn new(dir: PathBuf, max_open: usize) -> Self {
        Self {
            dir,
            max_open: max_open.max(1),
            open: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
        }
    }

    pub(super) fn path(&self, tenant: TenantId) -> PathBuf {
        self.dir.join(format!("{tenant}.db"))
    }

    /// The tenant's pool, opening the file if needed. The file must exist:
    /// only [`TenantFiles::create`] makes one.
    pub(super) async fn pool(&self, tenant: TenantId) -> Result<DatabaseConnection, DbErr> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open.lock().await;
        if let Some((pool, used)) = open.get_mut(&tenant) {
            *used = now;
            return Ok(pool.clone());
        }
        let pool = connect(&self.path(tenant), "rw").await?;
        if open.len() >= self.max_open {
            if let Some(oldest) = open
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
            {
                if let Some((evicted, _)) = open.remove(&oldest) {
                    // Requests still holding a clone finish first; close waits.
                    tokio::spawn(async move { evicted.close().await });
                }
            }
        }
        open.insert(tenant, (pool.clone(), now));
        Ok(pool)
    }

    /// Creates the tenant's file (WAL mode) and returns a connection to it.
    pub(super) async fn create(&self, tenant: TenantId) -> Result<DatabaseConnection, DbErr> {
        std::fs::create_dir_all(&self.dir).map_err(|e| DbErr::Custom(format!("data dir: {e}")))?;
        let pool = connect(&self.path(tenant), "rwc").await?;
        pool.execute_unprepared("PRAGMA journal_mode=WAL").await?;
        Ok(pool)
    }

    /// Closes the tenant's pool and removes its file.
    pub(super) async fn remove(&self, tenant: TenantId) -> Result<(), DbErr> {
        self.remove_from_cache(tenant).await?;
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", self.path(tenant).display()));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(DbErr::Custom(format!("removing {}: {e}", path.display()))),
            }
        }
        Ok(())
    }

    /// Closes the tenant's pool, keeping its file.
    pub(super) async fn remove_from_cache(&self, tenant: TenantId) -> Result<(), DbErr> {
        if let Some((pool, _)) = self.open.lock().await.remove(&tenant) {
            pool.close().await?;
        }
        Ok(())
    }

    pub(super) async fn open_count(&self) -> usize {
        self.open.lock().await.len()
    }

    /// Every tenant file on disk (for fleet migrations).
    pub(super) fn existing(&self) -> Vec<TenantId> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".db")?;
                uuid::Uuid::parse_str(id).ok().map(TenantId::from_uuid)
            })
            .collect()
    }
}

/// One connection per tenant file: SQLite allows one writer at a time, and a
/// single connection serialises a tenant's transactions instead of failing
/// them with `SQLITE_BUSY`.
async fn connect(path: &std::path::Path, mode: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode={mode}", path.display()));
    options
        .max_connections(1)
        .min_connections(0)
        .sqlx_logging(false);
    Database::connect(options).await
}
