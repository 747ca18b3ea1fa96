//! Fleet migrations: the tenant plane exists once per *unit* — the shared pool,
//! the two templates, each tenant schema, each tenant database, each SQLite
//! file — and a new migration must reach all of them.
//!
//! Order: the catalog, then the shared units (pool and templates), then the
//! tenant units in canary batches (the first `canary`, then batches that
//! double), each batch run with at most `concurrency` units at once. Each unit
//! migrates inside one transaction (DDL is transactional on both backends), so
//! a failure leaves that tenant on its old version, still serving. The first
//! failing batch stops the run and names the tenant; the next run skips the
//! units already current and resumes with the rest.
//!
//! About 500 lines, kept whole: the run in the order it happens (units,
//! canary, batches, resume) and the unit bookkeeping it writes as it goes.

use super::engine::connect_pool;
use super::{postgres, sqlite::TenantFiles, Placement, TenantId, TenantState};
use crate::config::{Backend, Settings};
use crate::entities::catalog::{fleet_unit, tenant};
use crate::error::Result;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tenantry_migrations::sea_orm_migration::MigratorTrait;
use tenantry_migrations::CatalogMigrator;

#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub concurrency: usize,
    pub canary: usize,
}

impl FleetOptions {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            concurrency: settings.migrate_concurrency.max(1),
            canary: settings.migrate_canary.max(1),
        }
    }
}

/// Told about the run as it goes (the CLI draws a progress bar).
pub trait Progress: Send + Sync {
    fn planned(&self, _pending: usize, _current: usize) {}
    fn unit_done(&self, _unit: &str, _ok: bool) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FleetReport {
    /// Tenant units migrated by this run.
    pub migrated: usize,
    /// Tenant units that were already current.
    pub current: usize,
    pub version: String,
    /// Tenant rows moved out of the catalog into their placements.
    pub legacy: super::LegacyReport,
}

/// One tenant unit to migrate.
#[derive(Debug, Clone)]
struct Unit {
    key: String,
    tenant: Option<TenantId>,
    slug: String,
    /// `None`: the home cluster.
    cluster: Option<String>,
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    Schema(String),
    Database(String),
    File(TenantId),
}

/// The latest tenant-plane migration of `M`: the version every unit reaches.
pub fn latest_version<M: MigratorTrait>() -> String {
    M::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default()
}

/// Migrates the catalog and every tenant-plane unit to `M`'s latest version.
pub async fn migrate_all<M: MigratorTrait>(
    settings: &Settings,
    options: &FleetOptions,
    progress: &dyn Progress,
) -> Result<FleetReport> {
    let version = latest_version::<M>();
    let catalog = match settings.backend() {
        Backend::Postgres => connect_pool(&settings.owner_url(), Backend::Postgres, 4).await?,
        Backend::Sqlite => {
            std::fs::create_dir_all(&settings.data_dir).map_err(anyhow::Error::from)?;
            connect_pool(&settings.runtime_url(), Backend::Sqlite, 1).await?
        }
    };
    // Instances started together each migrate on start: one at a time, the
    // others then find every unit current (concurrent DDL and grants on
    // one catalog fail with "tuple concurrently updated").
    let _one_at_a_time = match settings.backend() {
        Backend::Postgres => Some(MigrationLock::take(settings).await?),
        Backend::Sqlite => None,
    };
    CatalogMigrator::up(&catalog, None).await?;
    let grant_to = runtime_grantee(settings, &catalog).await?;
    super::keys::migrate(settings, grant_to.as_deref()).await?;
    let mut remotes = HashMap::new();
    if settings.backend() == Backend::Postgres {
        let home = Shared {
            owner: &catalog,
            owner_url: settings.owner_url(),
            template: settings.template_database(),
            grant_to: grant_to.as_deref(),
            suffix: String::new(),
        };
        migrate_shared_units::<M>(&catalog, &home, &version).await?;
        for cluster in &settings.clusters {
            let owner = connect_pool(&cluster.owner_url(), Backend::Postgres, 4).await?;
            let remote_grant = runtime_grantee_at(&cluster.runtime_url(), &owner).await?;
            let shared = Shared {
                owner: &owner,
                owner_url: cluster.owner_url(),
                template: format!(
                    "{}_template",
                    crate::config::database_name(&cluster.runtime_url())
                ),
                grant_to: remote_grant.as_deref(),
                suffix: format!("@{}", cluster.name),
            };
            migrate_shared_units::<M>(&catalog, &shared, &version).await?;
            remotes.insert(
                cluster.name.clone(),
                RemoteRun {
                    owner: owner.clone(),
                    owner_url: cluster.owner_url(),
                    grant_to: remote_grant,
                },
            );
        }
    }
    let units = tenant_units(settings, &catalog).await?;
    let done = current_units(&catalog, &version).await?;
    let (current, pending): (Vec<Unit>, Vec<Unit>) =
        units.into_iter().partition(|u| done.contains(&u.key));
    progress.planned(pending.len(), current.len());
    let ctx = Arc::new(RunCtx {
        settings: settings.clone(),
        catalog: catalog.clone(),
        version: version.clone(),
        grant_to,
        remotes,
    });
    let mut migrated = 0;
    let mut rest = pending.as_slice();
    let mut batch_size = options.canary;
    while !rest.is_empty() {
        let (batch, later) = rest.split_at(batch_size.min(rest.len()));
        let failures = run_batch::<M>(&ctx, batch, options.concurrency, progress).await;
        migrated += batch.len() - failures.len();
        if let Some((unit, error)) = failures.into_iter().next() {
            catalog.close().await?;
            return Err(anyhow::anyhow!(
                "migration failed for tenant {} ({}): {error}; it stays on its previous \
                 version and keeps serving. {migrated} unit(s) migrated in this run; \
                 fix the cause and run `tenantry migrate` again to resume",
                unit.slug,
                unit.key
            )
            .into());
        }
        rest = later;
        batch_size = batch_size.saturating_mul(2);
    }
    for remote in ctx.remotes.values() {
        let _ = remote.owner.clone().close().await;
    }
    // Every unit has the tenant-plane tables now: rows an older release kept
    // in the catalog move into them.
    let copied = super::legacy::copy_all(settings, &catalog).await;
    catalog.close().await?;
    let legacy = copied?;
    Ok(FleetReport {
        migrated,
        current: current.len(),
        version,
        legacy,
    })
}

/// The fleet migration's session lock on the catalog database (advisory
/// lock (4, 0); moves use 1 to 3), on a connection of its own that takes
/// it along if the process dies. Released when dropped.
struct MigrationLock(Option<DatabaseConnection>);

impl MigrationLock {
    async fn take(settings: &Settings) -> Result<Self> {
        let conn = connect_pool(&settings.owner_url(), Backend::Postgres, 1).await?;
        conn.execute_unprepared("SELECT pg_advisory_lock(4, 0)")
            .await?;
        Ok(Self(Some(conn)))
    }
}

impl Drop for MigrationLock {
    fn drop(&mut self) {
        // Closing the connection ends its session, and the lock with it.
        if let Some(conn) = self.0.take() {
            tokio::spawn(async move {
                let _ = conn.close().await;
            });
        }
    }
}

struct RunCtx {
    settings: Settings,
    catalog: DatabaseConnection,
    version: String,
    /// The runtime role, to be granted the tables migrations create.
    grant_to: Option<String>,
    /// The other clusters, by name.
    remotes: HashMap<String, RemoteRun>,
}

/// A cluster other than the home one, during a run.
struct RemoteRun {
    owner: DatabaseConnection,
    owner_url: String,
    grant_to: Option<String>,
}

/// A cluster's shared units: its pool (`public`), its template schema and
/// its template database.
struct Shared<'a> {
    owner: &'a DatabaseConnection,
    owner_url: String,
    template: String,
    grant_to: Option<&'a str>,
    /// Appended to the units' keys: `@<cluster>` but on the home cluster.
    suffix: String,
}

/// The runtime role, when it is not the owner itself (Postgres), asked once
/// per run.
async fn runtime_grantee(
    settings: &Settings,
    owner: &DatabaseConnection,
) -> Result<Option<String>> {
    if settings.backend() != Backend::Postgres {
        return Ok(None);
    }
    runtime_grantee_at(&settings.runtime_url(), owner).await
}

/// The runtime role of `runtime_url`, when it is not `owner`'s.
async fn runtime_grantee_at(
    runtime_url: &str,
    owner: &DatabaseConnection,
) -> Result<Option<String>> {
    let runtime = connect_pool(runtime_url, Backend::Postgres, 1).await?;
    let role = postgres::current_role(&runtime).await?;
    runtime.close().await?;
    Ok((role != postgres::current_role(owner).await?).then_some(role))
}

/// A cluster's pool (`public`), template schema and template database;
/// their versions are recorded in the catalog.
async fn migrate_shared_units<M: MigratorTrait>(
    catalog: &DatabaseConnection,
    shared: &Shared<'_>,
    version: &str,
) -> Result<()> {
    let (owner, grant_to, suffix) = (shared.owner, shared.grant_to, &shared.suffix);
    migrate_schema::<M>(owner, "public").await?;
    owner
        .execute_unprepared(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            postgres::quote_ident(postgres::TEMPLATE_SCHEMA)
        ))
        .await?;
    migrate_schema::<M>(owner, postgres::TEMPLATE_SCHEMA).await?;
    if let Some(role) = grant_to {
        postgres::grant_runtime_role(owner, role).await?;
        postgres::grant_schema(owner, postgres::TEMPLATE_SCHEMA, role).await?;
    }
    record(catalog, &format!("pool{suffix}"), None, version, Ok(())).await?;
    record(
        catalog,
        &format!("template:schema{suffix}"),
        None,
        version,
        Ok(()),
    )
    .await?;

    let template = &shared.template;
    let created = match postgres::database_exists(owner, template).await? {
        true => Ok(()),
        false => postgres::create_database_from_template(owner, template, "template1").await,
    };
    let key = format!("template:database{suffix}");
    match created {
        Ok(()) => {
            let url = crate::config::with_database(&shared.owner_url, template);
            migrate_database::<M>(&url, grant_to).await?;
            record(catalog, &key, None, version, Ok(())).await?;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot create the template database; the database placement is unavailable (the owner role needs CREATEDB)");
            record(catalog, &key, None, "", Err(&e.to_string())).await?;
        }
    }
    Ok(())
}

/// Runs `M` in one schema, in one transaction.
async fn migrate_schema<M: MigratorTrait>(owner: &DatabaseConnection, schema: &str) -> Result<()> {
    let txn = owner.begin().await?;
    txn.execute_unprepared(&format!(
        "SET LOCAL search_path = {}",
        postgres::quote_ident(schema)
    ))
    .await?;
    M::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Runs `M` in a tenant (or template) database, in one transaction, then
/// grants the runtime role the tables it created.
async fn migrate_database<M: MigratorTrait>(owner_url: &str, grant_to: Option<&str>) -> Result<()> {
    let conn = connect_pool(owner_url, Backend::Postgres, 1).await?;
    let result = async {
        let txn = conn.begin().await?;
        M::up(&txn, None).await?;
        if let Some(role) = grant_to {
            postgres::grant_schema(&txn, "public", role).await?;
        }
        txn.commit().await?;
        Ok::<_, crate::Error>(())
    }
    .await;
    // Closed at once: a template database with an open connection cannot be
    // copied.
    conn.close().await?;
    result
}

/// Every tenant unit: schemas and databases on Postgres, files on SQLite.
async fn tenant_units(settings: &Settings, catalog: &DatabaseConnection) -> Result<Vec<Unit>> {
    let tenants = tenant::Entity::find().all(catalog).await?;
    let mut units = Vec::new();
    for t in tenants {
        let id = TenantId::from_uuid(t.id);
        let target = match (
            settings.backend(),
            Placement::parse(&t.placement),
            t.location,
        ) {
            (Backend::Postgres, Some(Placement::Schema), Some(schema)) => Target::Schema(schema),
            (Backend::Postgres, Some(Placement::Database), Some(db)) => Target::Database(db),
            (Backend::Sqlite, Some(Placement::Database), _) => Target::File(id),
            _ => continue,
        };
        let cluster = t.cluster.as_deref();
        let key = match &target {
            Target::Schema(s) => unit_key_on(Placement::Schema, Some(s), id, cluster),
            Target::Database(d) => unit_key_on(Placement::Database, Some(d), id, cluster),
            Target::File(id) => unit_key(Placement::Database, None, *id),
        };
        units.push(Unit {
            key: key.unwrap_or_default(),
            tenant: Some(id),
            slug: t.slug,
            cluster: t.cluster,
            target,
        });
    }
    // Oldest first: the canary batch is the longest-standing tenants.
    units.sort_by_key(|u| u.tenant);
    Ok(units)
}

/// Units already at `version`.
async fn current_units(catalog: &DatabaseConnection, version: &str) -> Result<HashSet<String>> {
    Ok(fleet_unit::Entity::find()
        .all(catalog)
        .await?
        .into_iter()
        .filter(|u| u.status == "ok" && u.version == version)
        .map(|u| u.unit)
        .collect())
}

/// Runs one batch with bounded concurrency; returns the failures.
async fn run_batch<M: MigratorTrait>(
    ctx: &Arc<RunCtx>,
    batch: &[Unit],
    concurrency: usize,
    progress: &dyn Progress,
) -> Vec<(Unit, String)> {
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for unit in batch.iter().cloned() {
        let (ctx, limit) = (ctx.clone(), limit.clone());
        tasks.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let outcome = migrate_unit::<M>(&ctx, &unit).await.map_err(|e| match e {
                crate::Error::Unexpected(cause) => format!("{cause:#}"),
                other => other.to_string(),
            });
            let recorded = record(
                &ctx.catalog,
                &unit.key,
                unit.tenant,
                &ctx.version,
                outcome.as_ref().map(|_| ()).map_err(String::as_str),
            )
            .await;
            let outcome = match (outcome, recorded) {
                (Ok(()), Err(e)) => Err(format!("recording its version: {e}")),
                (other, _) => other,
            };
            (unit, outcome)
        });
    }
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((unit, outcome)) = joined else {
            continue;
        };
        progress.unit_done(&unit.key, outcome.is_ok());
        if let Err(e) = outcome {
            tracing::error!(unit = %unit.key, tenant = %unit.slug, error = %e, "tenant migration failed");
            failures.push((unit, e));
        }
    }
    failures
}

async fn migrate_unit<M: MigratorTrait>(ctx: &RunCtx, unit: &Unit) -> Result<()> {
    let remote = match &unit.cluster {
        Some(name) => Some(ctx.remotes.get(name).ok_or_else(|| {
            anyhow::anyhow!(
                "tenant {} is on cluster {name:?}, which is not configured",
                unit.slug
            )
        })?),
        None => None,
    };
    let (owner, grant_to) = match remote {
        Some(r) => (&r.owner, r.grant_to.as_deref()),
        None => (&ctx.catalog, ctx.grant_to.as_deref()),
    };
    match &unit.target {
        Target::Schema(schema) => {
            migrate_schema::<M>(owner, schema).await?;
            if let Some(role) = grant_to {
                postgres::grant_schema(owner, schema, role).await?;
            }
            Ok(())
        }
        Target::Database(database) => {
            let url = match remote {
                Some(r) => crate::config::with_database(&r.owner_url, database),
                None => ctx.settings.owner_url_for(database),
            };
            migrate_database::<M>(&url, grant_to).await
        }
        Target::File(tenant) => {
            let files = TenantFiles::new(ctx.settings.tenant_files_dir(), 1);
            let (pool, lease) = files.pool(*tenant).await?;
            let result = async {
                let txn = pool.begin().await?;
                M::up(&txn, None).await?;
                txn.commit().await?;
                Ok::<_, crate::Error>(())
            }
            .await;
            drop(lease);
            files.remove_from_cache(*tenant).await?;
            result
        }
    }
}

/// Upserts a unit's status.
async fn record(
    catalog: &impl ConnectionTrait,
    unit: &str,
    tenant: Option<TenantId>,
    version: &str,
    outcome: std::result::Result<(), &str>,
) -> Result<()> {
    let row = fleet_unit::ActiveModel {
        unit: Set(unit.to_owned()),
        tenant: Set(tenant.map(TenantId::uuid)),
        version: Set(version.to_owned()),
        status: Set(if outcome.is_ok() { "ok" } else { "failed" }.to_owned()),
        error: Set(outcome.err().map(str::to_owned)),
        updated_at: Set(chrono::Utc::now()),
    };
    let mut upsert = OnConflict::column(fleet_unit::Column::Unit);
    upsert.update_columns([
        fleet_unit::Column::Tenant,
        fleet_unit::Column::Status,
        fleet_unit::Column::Error,
        fleet_unit::Column::UpdatedAt,
    ]);
    if outcome.is_ok() {
        // A failure keeps the version the unit is still on.
        upsert.update_column(fleet_unit::Column::Version);
    }
    fleet_unit::Entity::insert(row)
        .on_conflict(upsert)
        .exec(catalog)
        .await?;
    Ok(())
}

/// The fleet unit of a tenant's own placement (`None` for the shared pool).
pub fn unit_key(placement: Placement, location: Option<&str>, tenant: TenantId) -> Option<String> {
    match (placement, location) {
        (Placement::Schema, Some(s)) => Some(format!("schema:{s}")),
        (Placement::Database, Some(d)) => Some(format!("database:{d}")),
        (Placement::Database, None) => Some(format!("file:{tenant}")),
        _ => None,
    }
}

/// [`unit_key`] on a cluster: the home cluster's keys as they always were,
/// another's with `@<cluster>` (a moved tenant's schema or database has
/// the same name on both clusters for a while).
pub fn unit_key_on(
    placement: Placement,
    location: Option<&str>,
    tenant: TenantId,
    cluster: Option<&str>,
) -> Option<String> {
    let key = unit_key(placement, location, tenant)?;
    Some(match cluster {
        Some(cluster) => format!("{key}@{cluster}"),
        None => key,
    })
}

/// Records a freshly provisioned unit as current (it was copied from a
/// current template).
pub(crate) async fn record_provisioned(
    catalog: &impl ConnectionTrait,
    tenant: TenantId,
    placement: Placement,
    location: Option<&str>,
    cluster: Option<&str>,
) -> Result<()> {
    let version = latest_version::<tenantry_migrations::TenantMigrator>();
    match unit_key_on(placement, location, tenant, cluster) {
        Some(unit) => record(catalog, &unit, Some(tenant), &version, Ok(())).await,
        None => Ok(()),
    }
}

/// Forgets a unit that no longer exists (its schema or database was dropped).
pub(crate) async fn forget(
    catalog: &impl ConnectionTrait,
    placement: Placement,
    location: Option<&str>,
    tenant: TenantId,
    cluster: Option<&str>,
) -> Result<()> {
    if let Some(unit) = unit_key_on(placement, location, tenant, cluster) {
        fleet_unit::Entity::delete_by_id(unit).exec(catalog).await?;
    }
    Ok(())
}

/// One line of the fleet page: a tenant (or a shared unit) and its version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FleetEntry {
    pub unit: String,
    pub slug: Option<String>,
    pub placement: Option<Placement>,
    pub version: Option<String>,
    pub status: String,
    pub error: Option<String>,
}

/// The latest version, the shared units, then every tenant with the version
/// of the unit that holds it (pool tenants share the pool's).
pub async fn status(engine: &super::Engine) -> Result<(String, Vec<FleetEntry>)> {
    let latest = latest_version::<tenantry_migrations::TenantMigrator>();
    let units: HashMap<String, fleet_unit::Model> = engine
        .on_platform(super::PlatformUse::Console, async |db| {
            Ok(fleet_unit::Entity::find().all(db).await?)
        })
        .await?
        .into_iter()
        .map(|u| (u.unit.clone(), u))
        .collect();
    let entry = |unit: String, slug: Option<String>, placement: Option<Placement>| {
        let found = units.get(&unit);
        FleetEntry {
            slug,
            placement,
            version: found.map(|u| u.version.clone()).filter(|v| !v.is_empty()),
            status: found.map_or_else(|| "unknown".to_owned(), |u| u.status.clone()),
            error: found.and_then(|u| u.error.clone()),
            unit,
        }
    };
    let mut entries: Vec<FleetEntry> = ["pool", "template:schema", "template:database"]
        .into_iter()
        .filter(|u| units.contains_key(*u))
        .map(|u| entry(u.to_owned(), None, None))
        .collect();
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::State.ne(TenantState::Deleted.as_str()))
        .order_by_asc(tenant::Column::Slug)
        .all(engine.catalog())
        .await?;
    for t in tenants {
        let Some(placement) = Placement::parse(&t.placement) else {
            continue;
        };
        let id = TenantId::from_uuid(t.id);
        let unit = unit_key(placement, t.location.as_deref(), id).unwrap_or_else(|| "pool".into());
        entries.push(entry(unit, Some(t.slug), Some(placement)));
    }
    Ok((latest, entries))
}
