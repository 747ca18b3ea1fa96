//! The embedded default: one SQLite file per tenant under `data/tenants/`.
//! Pools are opened lazily and bounded; the least recently used is closed when
//! the bound is reached.

use super::pools::{Lease, PoolCache};
use super::TenantId;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::path::PathBuf;

pub(super) struct TenantFiles {
    dir: PathBuf,
    /// One connection per file: SQLite allows one writer at a time, and a
    /// single connection serialises a tenant's transactions instead of failing
    /// them with `SQLITE_BUSY`.
    pools: PoolCache,
}

impl TenantFiles {
    pub(super) fn new(dir: PathBuf, max_open: usize) -> Self {
        let max_open = max_open.max(1);
        Self {
            dir,
            pools: PoolCache::new(max_open as u32, 1, max_open),
        }
    }

    /// Connections in use and idle over the open files.
    pub(super) async fn connections(&self) -> (u64, u64) {
        self.pools.connections().await
    }

    pub(super) fn path(&self, tenant: TenantId) -> PathBuf {
        self.dir.join(format!("{tenant}.db"))
    }

    /// The tenant's pool, opening the file if needed. The file must exist:
    /// only [`TenantFiles::create`] makes one.
    pub(super) async fn pool(
        &self,
        tenant: TenantId,
    ) -> Result<(DatabaseConnection, Lease), DbErr> {
        let url = format!("sqlite://{}?mode=rw", self.path(tenant).display());
        self.pools.get(&tenant.to_string(), &url).await
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
        self.pools.close(&tenant.to_string()).await
    }

    pub(super) async fn open_count(&self) -> usize {
        self.pools.open_count().await
    }
}

async fn connect(path: &std::path::Path, mode: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode={mode}", path.display()));
    options
        .max_connections(1)
        .min_connections(0)
        .sqlx_logging(false);
    Database::connect(super::pools::tuned(&mut options)).await
}
