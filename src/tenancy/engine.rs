use super::sqlite::TenantFiles;
use super::{postgres, Placement, TenantCtx, TenantDb, TenantId, TenantRecord};
use crate::config::{Backend, Settings};
use crate::error::Result;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::time::Duration;
use tenantry_migrations::{sea_orm_migration, CatalogMigrator, TenantMigrator};

/// The isolation engine: owns the connections and hands out [`TenantDb`]s.
/// Cheap to clone.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

struct Inner {
    /// The control-plane catalog. On Postgres the pooled tenant plane lives in
    /// the same database, behind row-level security.
    catalog: DatabaseConnection,
    tenant_files: Option<TenantFiles>,
    settings: Settings,
}

impl Engine {
    /// Connects as the runtime role.
    pub async fn connect(settings: &Settings) -> Result<Self> {
        let tenant_files = match settings.backend() {
            Backend::Postgres => None,
            Backend::Sqlite => {
                std::fs::create_dir_all(&settings.data_dir).map_err(anyhow::Error::from)?;
                Some(TenantFiles::new(
                    settings.tenant_files_dir(),
                    settings.max_tenant_pools,
                ))
            }
        };
        let catalog = connect_catalog(
            &settings.runtime_url(),
            settings.backend(),
            settings.pool_size,
        )
        .await?;
        Ok(Self(Arc::new(Inner {
            catalog,
            tenant_files,
            settings: settings.clone(),
        })))
    }

    /// Runs every pending migration as the owner role: the catalog, the shared
    /// tenant plane (Postgres) or every tenant file (SQLite), then grants the
    /// runtime role its privileges.
    pub async fn migrate(settings: &Settings) -> Result<()> {
        match settings.backend() {
            Backend::Postgres => {
                let owner = connect_catalog(&settings.owner_url(), Backend::Postgres, 2).await?;
                CatalogMigrator::up(&owner, None).await?;
                TenantMigrator::up(&owner, None).await?;
                let runtime =
                    connect_catalog(&settings.runtime_url(), Backend::Postgres, 1).await?;
                let runtime_role = postgres::current_role(&runtime).await?;
                let owner_role = postgres::current_role(&owner).await?;
                if runtime_role != owner_role {
                    postgres::grant_runtime_role(&owner, &runtime_role).await?;
                }
                runtime.close().await?;
                owner.close().await?;
            }
            Backend::Sqlite => {
                std::fs::create_dir_all(&settings.data_dir).map_err(anyhow::Error::from)?;
                let catalog = connect_catalog(&settings.runtime_url(), Backend::Sqlite, 1).await?;
                CatalogMigrator::up(&catalog, None).await?;
                catalog.close().await?;
                let files = TenantFiles::new(settings.tenant_files_dir(), 1);
                for tenant in files.existing() {
                    let pool = files.pool(tenant).await?;
                    TenantMigrator::up(&pool, None).await?;
                    files.remove_from_cache(tenant).await?;
                }
            }
        }
        Ok(())
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub fn backend(&self) -> Backend {
        self.0.settings.backend()
    }

    /// The placement new tenants get on this deployment.
    pub fn default_placement(&self) -> Placement {
        match self.backend() {
            Backend::Postgres => Placement::Pool,
            Backend::Sqlite => Placement::Database,
        }
    }

    /// The control-plane connection. Crate-private: on Postgres it is also the
    /// pool's raw connection (where RLS still refuses tenant rows, since no
    /// tenant is bound).
    pub(crate) fn catalog(&self) -> &DatabaseConnection {
        &self.0.catalog
    }

    pub(crate) fn ctx(&self, tenant: TenantRecord) -> TenantCtx {
        TenantCtx::new(tenant, self.clone())
    }

    pub(super) async fn begin(&self, tenant: &TenantRecord) -> Result<TenantDb> {
        match (tenant.placement, &self.0.tenant_files) {
            (Placement::Pool, None) => {
                let txn = self.0.catalog.begin().await?;
                postgres::bind_tenant(&txn, tenant.id).await?;
                Ok(TenantDb::new(txn, tenant.id))
            }
            (Placement::Database, Some(files)) => {
                let pool = files.pool(tenant.id).await?;
                Ok(TenantDb::new(pool.begin().await?, tenant.id))
            }
            (placement, _) => Err(anyhow::anyhow!(
                "tenant {} has placement {placement:?}, which this deployment does not serve",
                tenant.id
            )
            .into()),
        }
    }

    /// Makes room for a new tenant's rows in its placement.
    pub(crate) async fn provision(&self, tenant: TenantId, placement: Placement) -> Result<()> {
        if let (Placement::Database, Some(files)) = (placement, &self.0.tenant_files) {
            let pool = files.create(tenant).await?;
            TenantMigrator::up(&pool, None).await?;
            pool.close().await?;
        }
        Ok(())
    }

    /// Removes a tenant's rows for good. On the pool this runs inside the
    /// tenant's own bound transaction, so the deletes cannot reach another
    /// tenant's rows.
    pub(crate) async fn purge(&self, tenant: &TenantRecord) -> Result<()> {
        match (tenant.placement, &self.0.tenant_files) {
            (Placement::Database, Some(files)) => files.remove(tenant.id).await?,
            _ => {
                let db = self.begin(tenant).await?;
                for table in tenantry_migrations::TENANT_TABLES.iter().rev() {
                    db.execute_unprepared(&format!("DELETE FROM {table}"))
                        .await?;
                }
                db.commit().await?;
            }
        }
        Ok(())
    }

    /// `SELECT 1` on the catalog.
    pub async fn ping(&self) -> Result<()> {
        self.0.catalog.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Number of open per-tenant pools (SQLite).
    pub async fn open_tenant_pools(&self) -> usize {
        match &self.0.tenant_files {
            Some(files) => files.open_count().await,
            None => 0,
        }
    }

    pub fn database_backend(&self) -> DbBackend {
        self.0.catalog.get_database_backend()
    }
}

async fn connect_catalog(url: &str, backend: Backend, size: u32) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(match backend {
            Backend::Postgres => size.max(1),
            Backend::Sqlite => size.clamp(1, 4),
        })
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let conn = Database::connect(options)
        .await
        .map_err(|e| connect_error(e, url))?;
    if backend == Backend::Sqlite {
        conn.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(conn)
}

/// A connection failure that never repeats the URL's credentials: SeaORM puts
/// the whole connection string in some of its errors.
fn connect_error(err: sea_orm::DbErr, url: &str) -> crate::Error {
    let message = err.to_string();
    let credentials = url
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .map(|(creds, _)| creds);
    let leaks =
        message.contains(url) || credentials.is_some_and(|c| !c.is_empty() && message.contains(c));
    let detail = if leaks {
        "the database URL is invalid".to_owned()
    } else {
        message
    };
    anyhow::anyhow!(
        "cannot connect to the database at {}: {detail}",
        redacted(url)
    )
    .into()
}

/// `scheme://user:secret@host/db?opts` → `scheme://host/db`.
fn redacted(url: &str) -> String {
    let without_query = url.split('?').next().unwrap_or_default();
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let location = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{location}")
        }
        None => "(unparseable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_never_repeat_credentials() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/x?password=p"),
            "postgres://db:5432/x"
        );
        let err = sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
            "The connection string 'postgres://app:pa#ss@db/x' cannot be parsed".into(),
        ));
        let shown = format!(
            "{:#}",
            anyhow::Error::from(connect_error(err, "postgres://app:pa#ss@db/x"))
        );
        assert!(!shown.contains("pa#ss"), "{shown}");
        assert!(shown.contains("postgres://db/x"), "{shown}");
    }
}
