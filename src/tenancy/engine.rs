use super::pools::PoolCache;
use super::sqlite::TenantFiles;
use super::{fleet, Placement, Slug, TenantCtx, TenantDb, TenantId, TenantRecord};
use crate::config::{Backend, Settings};
use crate::error::{Error, Result};
use crate::observe::Observer;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::OnceCell;

mod connect;
mod units;

pub(super) use connect::connect_pool;
pub(super) use units::delete_tenant_rows;

/// The isolation engine: owns the connections and hands out [`TenantDb`]s.
/// Cheap to clone. It knows nothing of the services the application runs
/// beside it (events, storage, plans and flags, rate limits): those are
/// installed by `crate::runtime` and reached through methods defined there,
/// and so is the loader of a tenant's full record ([`RecordLoader`]).
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

struct Inner {
    /// The control-plane catalog. On Postgres the `pool` and `schema`
    /// placements live in the same database, behind row-level security.
    catalog: DatabaseConnection,
    /// The same pool, guarded, for the platform's own tables.
    platform_tables: super::PlatformTables,
    /// Postgres: the pool and schema tenants' transactions through
    /// PgBouncer (`tenant_pool_url`), when set.
    tenant_pool: Option<DatabaseConnection>,
    /// SQLite: one file per tenant.
    tenant_files: Option<TenantFiles>,
    /// Postgres: one pool per `database`-placed tenant.
    tenant_databases: Option<PoolCache>,
    /// The owner role's connection to the catalog database (Postgres);
    /// connected on first use.
    owner: OnceCell<DatabaseConnection>,
    /// Host resolution without a catalog query per request.
    tenant_cache: Arc<super::cache::TenantCache>,
    /// What the runtime installed beside the engine.
    services: OnceLock<Arc<dyn Any + Send + Sync>>,
    records: OnceLock<Arc<dyn RecordLoader>>,
    /// Metrics and the cost book of everything this engine serves.
    observer: Observer,
    /// The PostgreSQL clusters tenants live on (the home one is the above).
    clusters: super::clusters::Clusters,
    /// The tenants' data keys, apart from their data.
    keyring: super::keys::Keyring,
    settings: Settings,
}

/// A future a [`RecordLoader`] returns.
pub type RecordFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<TenantRecord>>> + Send + 'a>>;

/// Loads a tenant's full record: its catalog row and what the platform
/// keeps about it (branding, primary host, plan overrides, billing
/// standing). Supplied by the runtime, so that the engine does not depend
/// on what a record carries.
pub trait RecordLoader: Send + Sync {
    fn by_id<'a>(&'a self, engine: &'a Engine, id: TenantId) -> RecordFuture<'a>;
    fn by_slug<'a>(&'a self, engine: &'a Engine, slug: &'a Slug) -> RecordFuture<'a>;
}

impl Engine {
    /// Connects as the runtime role: the isolation engine alone, without
    /// the services and record loader `crate::runtime::connect` installs.
    pub async fn open(settings: &Settings) -> Result<Self> {
        let (tenant_files, tenant_databases) = match settings.backend() {
            Backend::Postgres => {
                let pools = PoolCache::new(
                    settings.tenant_connections,
                    settings.tenant_database_pool_size,
                    settings.max_tenant_pools,
                );
                (None, Some(pools))
            }
            Backend::Sqlite => {
                std::fs::create_dir_all(&settings.data_dir).map_err(anyhow::Error::from)?;
                let files =
                    TenantFiles::new(settings.tenant_files_dir(), settings.max_tenant_pools);
                (Some(files), None)
            }
        };
        let catalog = connect_pool(
            &settings.runtime_url(),
            settings.backend(),
            settings.pool_size,
        )
        .await?;
        let tenant_pool = match &settings.tenant_pool_url {
            Some(url) if settings.backend() == Backend::Postgres => {
                use secrecy::ExposeSecret;
                let url = url.expose_secret();
                Some(connect_pool(url, Backend::Postgres, settings.pool_size).await?)
            }
            _ => None,
        };
        let tenant_cache = match settings.backend() {
            Backend::Postgres => super::cache::TenantCache::listening(settings.runtime_url()),
            Backend::Sqlite => super::cache::TenantCache::with_ttl(Duration::from_secs(1)),
        };
        Ok(Self(Arc::new(Inner {
            platform_tables: super::PlatformTables::new(catalog.clone()),
            catalog,
            tenant_pool,
            tenant_files,
            tenant_databases,
            owner: OnceCell::new(),
            tenant_cache,
            services: OnceLock::new(),
            records: OnceLock::new(),
            observer: Observer::new(&settings.observability),
            clusters: super::clusters::Clusters::new(settings),
            keyring: super::keys::Keyring::new(settings),
            settings: settings.clone(),
        })))
    }

    /// Installs the runtime's services and record loader, once.
    pub fn install(&self, services: Arc<dyn Any + Send + Sync>, records: Arc<dyn RecordLoader>) {
        if self.0.services.set(services).is_err() || self.0.records.set(records).is_err() {
            tracing::warn!("the runtime was installed twice; the first installation stays");
        }
    }

    /// The clusters tenants live on, and their regions.
    pub fn clusters(&self) -> &super::clusters::Clusters {
        &self.0.clusters
    }

    /// The owner's connection on a tenant's cluster (DDL, moves).
    pub(crate) async fn owner_on(&self, cluster: Option<&str>) -> Result<&DatabaseConnection> {
        match self.0.clusters.remote(cluster)? {
            None => self.owner_for_ddl().await,
            Some(remote) => remote.owner().await,
        }
    }

    /// The runtime role's connection to a cluster's shared database (the
    /// catalog's, on the home cluster).
    pub(crate) async fn runtime_on(&self, cluster: Option<&str>) -> Result<&DatabaseConnection> {
        match self.0.clusters.remote(cluster)? {
            None => Ok(&self.0.catalog),
            Some(remote) => remote.runtime().await,
        }
    }

    /// The owner's URL for `database` on a cluster.
    pub(crate) fn owner_url_on(&self, cluster: Option<&str>, database: &str) -> Result<String> {
        Ok(match self.0.clusters.remote(cluster)? {
            None => self.0.settings.owner_url_for(database),
            Some(remote) => remote.owner_url_for(database),
        })
    }

    /// The owner's URL for the shared database of a cluster.
    pub(crate) fn shared_owner_url(&self, cluster: Option<&str>) -> Result<String> {
        Ok(match self.0.clusters.remote(cluster)? {
            None => self.0.settings.owner_url(),
            Some(remote) => remote.settings.owner_url(),
        })
    }

    /// The template database `database` tenants are copied from on a cluster.
    pub(crate) fn template_on(&self, cluster: Option<&str>) -> Result<String> {
        Ok(match self.0.clusters.remote(cluster)? {
            None => self.0.settings.template_database(),
            Some(remote) => remote.template_database(),
        })
    }

    /// The metrics and cost book of this engine's work.
    pub fn observer(&self) -> &Observer {
        &self.0.observer
    }

    /// The services the runtime installed, as type `T`.
    pub fn services<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.services.get()?.downcast_ref::<T>()
    }

    fn loader(&self) -> Result<&dyn RecordLoader> {
        Ok(self
            .0
            .records
            .get()
            .ok_or_else(|| {
                anyhow::anyhow!("no record loader: open the engine through runtime::connect")
            })?
            .as_ref())
    }

    /// A tenant's full record by id, in any state.
    pub async fn record_by_id(&self, id: TenantId) -> Result<Option<TenantRecord>> {
        self.loader()?.by_id(self, id).await
    }

    /// A tenant's full record by slug, in any state.
    pub async fn record_by_slug(&self, slug: &Slug) -> Result<Option<TenantRecord>> {
        self.loader()?.by_slug(self, slug).await
    }

    /// Runs every pending migration as the owner role, fleet-wide (see
    /// [`fleet`]), without progress output.
    pub async fn migrate(settings: &Settings) -> Result<()> {
        fleet::migrate_all::<tenantry_migrations::TenantMigrator>(
            settings,
            &fleet::FleetOptions::from_settings(settings),
            &fleet::Quiet,
        )
        .await
        .map(|_| ())
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub fn backend(&self) -> Backend {
        self.0.settings.backend()
    }

    /// The placement new tenants get on this deployment unless told otherwise.
    pub fn default_placement(&self) -> Placement {
        match self.backend() {
            Backend::Postgres => self.0.settings.default_placement,
            Backend::Sqlite => Placement::Database,
        }
    }

    /// Whether this deployment can hold a tenant in `placement`.
    pub fn supports(&self, placement: Placement) -> bool {
        match self.backend() {
            Backend::Postgres => true,
            Backend::Sqlite => placement == Placement::Database,
        }
    }

    /// The schema or database name a tenant gets in `placement`.
    pub(crate) fn location_for(&self, tenant: TenantId, placement: Placement) -> Option<String> {
        match self.backend() {
            Backend::Postgres => {
                super::ids::location_of(placement, tenant, &self.0.settings.tenant_database_prefix)
            }
            Backend::Sqlite => None,
        }
    }

    /// The control-plane connection, raw: private to the isolation engine
    /// (everything else reaches the catalog through [`PlatformTables`],
    /// [`super::TenantRecords`] or [`super::PlatformDb`]).
    ///
    /// [`PlatformTables`]: super::PlatformTables
    pub(super) fn catalog(&self) -> &DatabaseConnection {
        &self.0.catalog
    }

    /// What sends `NOTIFY`s on the catalog, for the in-memory maps kept
    /// beside the engine (`crate::cache`).
    pub(crate) fn notifier(&self) -> Notifier {
        Notifier(self.0.catalog.clone())
    }

    /// The platform's own catalog tables (those naming no tenant), guarded.
    pub fn platform_tables(&self) -> &super::PlatformTables {
        &self.0.platform_tables
    }

    /// The owner role's connection to the catalog database (Postgres).
    pub(crate) async fn owner(&self) -> Result<&DatabaseConnection> {
        self.0
            .owner
            .get_or_try_init(|| async {
                connect_pool(&self.0.settings.owner_url(), Backend::Postgres, 4).await
            })
            .await
    }

    pub(crate) fn ctx(&self, tenant: TenantRecord) -> TenantCtx {
        self.ctx_shared(Arc::new(tenant))
    }

    pub(crate) fn ctx_shared(&self, tenant: Arc<TenantRecord>) -> TenantCtx {
        TenantCtx::new(tenant, self.clone())
    }

    /// A context for the tenant with this id, in any state (background work
    /// on the platform's behalf).
    pub async fn ctx_for(&self, id: super::TenantId) -> Result<TenantCtx> {
        let record = self.record_by_id(id).await?.ok_or(Error::NotFound)?;
        Ok(self.ctx(record))
    }

    pub(super) fn keyring(&self) -> &super::keys::Keyring {
        &self.0.keyring
    }

    /// The in-memory tenant map used by host resolution.
    pub fn tenant_cache(&self) -> &super::cache::TenantCache {
        &self.0.tenant_cache
    }

    /// Evicts a tenant from the map after a catalog write that changed it.
    pub(crate) fn tenant_changed(&self, tenant: TenantId) {
        self.0.tenant_cache.forget(tenant.uuid());
    }

    /// A read-only transaction bound to `tenant` as `tenant` says it is
    /// placed, with no retry: the loader of tenants' records reads their
    /// planes through it (a retry would load the record again).
    pub(crate) async fn read_as_recorded(&self, tenant: &TenantRecord) -> Result<TenantDb> {
        self.begin_at(tenant, false).await
    }

    /// A transaction bound to `tenant`. If it fails because the tenant moved
    /// since the request resolved it, it is retried once on the new placement.
    pub(super) async fn begin(&self, tenant: &TenantRecord, writes: bool) -> Result<TenantDb> {
        match self.begin_at(tenant, writes).await {
            Ok(db) => Ok(db),
            Err(first) if self.backend() == Backend::Postgres => {
                self.tenant_changed(tenant.id);
                let fresh = self.record_by_id(tenant.id).await?;
                match fresh {
                    Some(fresh)
                        if (fresh.placement, &fresh.location, &fresh.cluster)
                            != (tenant.placement, &tenant.location, &tenant.cluster) =>
                    {
                        tracing::info!(tenant_id = %tenant.id, "tenant moved; retrying on its new placement");
                        self.begin_at(&fresh, writes).await
                    }
                    _ => Err(first),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn begin_at(&self, tenant: &TenantRecord, writes: bool) -> Result<TenantDb> {
        let started = std::time::Instant::now();
        let db = self.begin_unmetered(tenant, writes).await?;
        Ok(db
            .metered(&self.0.observer, started.elapsed())
            .with_personal(super::keys::Personal::new(self.clone(), tenant.id)))
    }

    async fn begin_unmetered(&self, tenant: &TenantRecord, writes: bool) -> Result<TenantDb> {
        let location = || {
            tenant
                .location
                .as_deref()
                .ok_or_else(|| Error::from(anyhow::anyhow!("tenant {} has no location", tenant.id)))
        };
        match (tenant.placement, self.backend()) {
            (Placement::Pool | Placement::Schema, Backend::Postgres) => {
                let schema = match tenant.placement {
                    Placement::Schema => location()?,
                    _ => "public",
                };
                // Through PgBouncer, statements go unnamed: it keeps no
                // prepared statement from one transaction to the next.
                let remote = self.0.clusters.remote(tenant.cluster.as_deref())?;
                let (pool, unnamed) = match (remote, &self.0.tenant_pool) {
                    (Some(remote), _) => (
                        remote.runtime().await?.get_postgres_connection_pool(),
                        false,
                    ),
                    (None, Some(bouncer)) => (bouncer.get_postgres_connection_pool(), true),
                    (None, None) => (self.0.catalog.get_postgres_connection_pool(), false),
                };
                let db = TenantDb::begin_postgres(pool, tenant.id, schema, writes, None).await?;
                Ok(db.unnamed(unnamed))
            }
            (Placement::Database, Backend::Postgres) => {
                let database = location()?;
                let cluster = tenant.cluster.as_deref();
                let (pool, lease) = self.tenant_database(cluster, database).await?;
                let pool = pool.get_postgres_connection_pool();
                let db = TenantDb::begin_postgres(pool, tenant.id, "public", writes, Some(lease))
                    .await?;
                let bounced = self.0.settings.tenant_pool_url.is_some()
                    && self.0.clusters.remote(cluster)?.is_none();
                Ok(db.unnamed(bounced))
            }
            (Placement::Database, Backend::Sqlite) => {
                let (pool, lease) = self.files()?.pool(tenant.id).await?;
                Ok(TenantDb::new(pool.begin().await?, tenant.id, Some(lease)))
            }
            (placement, _) => Err(anyhow::anyhow!(
                "tenant {} has placement {placement:?}, which this deployment does not serve",
                tenant.id
            )
            .into()),
        }
    }

    async fn tenant_database(
        &self,
        cluster: Option<&str>,
        database: &str,
    ) -> Result<(DatabaseConnection, super::pools::Lease)> {
        let pools = self
            .0
            .tenant_databases
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no tenant databases on this backend"))?;
        let (key, url) = self.tenant_database_pool(cluster, database)?;
        Ok(pools.get(&key, &url).await?)
    }

    /// A tenant database's pool key and URL: its name on the home cluster
    /// (through PgBouncer when set), `<cluster>/<name>` on another.
    pub(super) fn tenant_database_pool(
        &self,
        cluster: Option<&str>,
        database: &str,
    ) -> Result<(String, String)> {
        Ok(match self.0.clusters.remote(cluster)? {
            None => (
                database.to_owned(),
                self.0.settings.tenant_database_url(database),
            ),
            Some(remote) => (
                format!("{}/{database}", remote.settings.name),
                remote.runtime_url_for(database),
            ),
        })
    }

    fn files(&self) -> Result<&TenantFiles> {
        Ok(self
            .0
            .tenant_files
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no tenant files on this backend"))?)
    }

    /// Connections in use and idle per placement: `catalog` (the pool and
    /// schema placements share it), `tenant_pool` (theirs through
    /// PgBouncer, when set), `database` (every tenant database's pool) and
    /// `sqlite` (every open tenant file).
    pub async fn connection_usage(&self) -> Vec<(&'static str, u64, u64)> {
        let (busy, idle) = super::pools::usage(&self.0.catalog);
        let mut usage = vec![("catalog", busy, idle)];
        if let Some(bouncer) = &self.0.tenant_pool {
            let (busy, idle) = super::pools::usage(bouncer);
            usage.push(("tenant_pool", busy, idle));
        }
        if let Some(pools) = &self.0.tenant_databases {
            let (busy, idle) = pools.connections().await;
            usage.push(("database", busy, idle));
        }
        if let Some(files) = &self.0.tenant_files {
            let (busy, idle) = files.connections().await;
            usage.push(("sqlite", busy, idle));
        }
        usage
    }

    /// `SELECT 1` on the catalog.
    pub async fn ping(&self) -> Result<()> {
        self.0.catalog.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Number of open per-tenant pools (SQLite files or tenant databases).
    pub async fn open_tenant_pools(&self) -> usize {
        match (&self.0.tenant_files, &self.0.tenant_databases) {
            (Some(files), _) => files.open_count().await,
            (_, Some(pools)) => pools.open_count().await,
            _ => 0,
        }
    }

    /// Connections reserved by open tenant-database pools (never more than
    /// `tenant_connections`).
    pub fn reserved_tenant_connections(&self) -> usize {
        self.0.tenant_databases.as_ref().map_or(0, |p| {
            p.reserved_connections(self.0.settings.tenant_connections)
        })
    }

    /// Closes tenant-database pools that fail a ping.
    pub async fn check_tenant_pools(&self) -> usize {
        match &self.0.tenant_databases {
            Some(pools) => pools.check_health().await,
            None => 0,
        }
    }

    pub fn database_backend(&self) -> DbBackend {
        self.0.catalog.get_database_backend()
    }
}

/// Sends notifications on the catalog (PostgreSQL) and nothing else.
#[derive(Clone)]
pub(crate) struct Notifier(DatabaseConnection);

impl Notifier {
    pub(crate) async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        self.0
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [channel.into(), payload.into()],
            ))
            .await?;
        Ok(())
    }
}
