//! A tenant's unit in its placement, made and unmade: room for its rows (a
//! file, a schema, a database), the purge of its rows and catalog traces,
//! and the count of its rows a deletion receipt shows.

use super::Engine;
use crate::config::Backend;
use crate::error::{Error, Result};
use crate::tenancy::{postgres, Placement, TenantId, TenantRecord};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use tenantry_migrations::sea_orm_migration::MigratorTrait;
use tenantry_migrations::TenantMigrator;

impl Engine {
    /// Makes room for a new tenant's rows in its placement: a SQLite file, a
    /// schema cloned from the template schema, or a database copied from the
    /// template database. Idempotent: a leftover from an earlier attempt is
    /// replaced.
    pub(crate) async fn provision(
        &self,
        tenant: TenantId,
        placement: Placement,
        location: Option<&str>,
        cluster: Option<&str>,
    ) -> Result<()> {
        let need_location = || {
            location.ok_or_else(|| Error::from(anyhow::anyhow!("{placement:?} needs a location")))
        };
        match (placement, self.backend()) {
            (Placement::Pool, Backend::Postgres) => Ok(()),
            (Placement::Schema, Backend::Postgres) => {
                let runtime_role = postgres::current_role(self.runtime_on(cluster).await?).await?;
                let owner = self.owner_on(cluster).await?;
                postgres::clone_template_schema(owner, need_location()?, &runtime_role).await?;
                Ok(())
            }
            (Placement::Database, Backend::Postgres) => {
                let database = need_location()?;
                let owner = self.owner_on(cluster).await?;
                self.drop_tenant_database(cluster, database).await?;
                postgres::create_database_from_template(
                    owner,
                    database,
                    &self.template_on(cluster)?,
                )
                .await?;
                Ok(())
            }
            (Placement::Database, Backend::Sqlite) => {
                let files = self.files()?;
                files.remove(tenant).await?;
                let pool = files.create(tenant).await?;
                TenantMigrator::up(&pool, None).await?;
                pool.close().await?;
                Ok(())
            }
            (placement, _) => Err(Error::invalid(
                "placement",
                format!("{} is not available on this deployment", placement.as_str()),
            )),
        }
    }

    /// The owner connection, with a clear error when the deployment runs
    /// without one (schema and database placements need DDL).
    pub(crate) async fn owner_for_ddl(&self) -> Result<&DatabaseConnection> {
        if self.0.settings.owner_database_url.is_none() {
            return Err(Error::invalid(
                "placement",
                "schema and database placements need the owner role: set TENANTRY_OWNER_DATABASE_URL",
            ));
        }
        self.owner().await
    }

    pub(crate) async fn drop_tenant_database(
        &self,
        cluster: Option<&str>,
        database: &str,
    ) -> Result<()> {
        if let Some(pools) = &self.0.tenant_databases {
            pools
                .close(&self.tenant_database_pool(cluster, database)?.0)
                .await?;
        }
        postgres::drop_database(self.owner_on(cluster).await?, database).await?;
        Ok(())
    }

    /// Removes a tenant's rows for good: its file, schema or database, or, on
    /// the pool, its rows, deleted inside its own bound transaction so that the
    /// deletes cannot reach another tenant's rows.
    pub(crate) async fn purge(&self, tenant: &TenantRecord) -> Result<()> {
        let (location, cluster) = (tenant.location.as_deref(), tenant.cluster.as_deref());
        if self
            .drop_unit(tenant.id, tenant.placement, location, cluster)
            .await?
        {
            return Ok(());
        }
        // As the owner, bound to the tenant: the runtime role may not
        // delete from the append-only audit log, and the binding keeps
        // every delete inside this tenant's rows.
        let owner = match self.0.clusters.remote(cluster)? {
            None => self.owner().await?,
            Some(remote) => remote.owner().await?,
        };
        let txn = TransactionTrait::begin(owner).await?;
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('search_path', 'public', true), set_config('app.tenant_id', $1, true)",
            [tenant.id.to_string().into()],
        ))
        .await?;
        delete_tenant_rows(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Drops a unit of its own (a file, a schema, a database) if the
    /// placement has one; `false` for the shared pool, whose rows the
    /// caller deletes. Idempotent: a unit already gone is fine.
    pub(crate) async fn drop_unit(
        &self,
        tenant: TenantId,
        placement: Placement,
        location: Option<&str>,
        cluster: Option<&str>,
    ) -> Result<bool> {
        match (placement, self.backend(), location) {
            (Placement::Database, Backend::Sqlite, _) => self.files()?.remove(tenant).await?,
            (Placement::Schema, Backend::Postgres, Some(schema)) => {
                postgres::drop_schema(self.owner_on(cluster).await?, schema).await?
            }
            (Placement::Database, Backend::Postgres, Some(database)) => {
                self.drop_tenant_database(cluster, database).await?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Rewrites the platform audit's entries about `tenant`, passing each
    /// one's actor and detail through `actor` and `detail`; returns how many
    /// changed. As the owner on Postgres: the log is append-only to the
    /// runtime role, and this is the one change it ever sees — a purged
    /// tenant's people pseudonymised (`lifecycle::purge`).
    pub(crate) async fn rewrite_platform_audit(
        &self,
        tenant: TenantId,
        actor: impl Fn(&str) -> String,
        detail: impl Fn(&str) -> String,
    ) -> Result<u64> {
        use crate::entities::catalog::platform_audit as entry;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let conn = match self.backend() {
            Backend::Postgres => self.owner().await?,
            Backend::Sqlite => &self.0.catalog,
        };
        let txn = TransactionTrait::begin(conn).await?;
        if self.backend() == Backend::Postgres {
            // The log is behind the wall, for its owner too (FORCE): bound
            // to the tenant, the owner sees exactly its entries.
            txn.execute_unprepared(&format!(
                "SELECT set_config('app.tenant_id', '{}', true)",
                tenant.uuid()
            ))
            .await?;
        }
        let entries = entry::Entity::find()
            .filter(entry::Column::Tenant.eq(tenant.uuid()))
            .all(&txn)
            .await?;
        let mut changed = 0;
        for e in entries {
            let (new_actor, new_detail) = (actor(&e.actor), detail(&e.detail));
            if new_actor == e.actor && new_detail == e.detail {
                continue;
            }
            entry::Entity::update_many()
                .col_expr(entry::Column::Actor, new_actor.into())
                .col_expr(entry::Column::Detail, new_detail.into())
                .filter(entry::Column::Id.eq(e.id))
                .exec(&txn)
                .await?;
            changed += 1;
        }
        txn.commit().await?;
        Ok(changed)
    }

    /// Rows the tenant has in each tenant-plane table, counted inside its own
    /// bound transaction; zeros once its file, schema or database is gone.
    pub(crate) async fn tenant_plane_rows(
        &self,
        tenant: &TenantRecord,
    ) -> Result<Vec<(String, u64)>> {
        let exists = match (tenant.placement, self.backend(), tenant.location.as_deref()) {
            (Placement::Database, Backend::Sqlite, _) => self.files()?.path(tenant.id).exists(),
            (Placement::Schema, Backend::Postgres, Some(schema)) => {
                let conn = self.runtime_on(tenant.cluster.as_deref()).await?;
                postgres::schema_exists(conn, schema).await?
            }
            (Placement::Database, Backend::Postgres, Some(database)) => {
                let conn = self.runtime_on(tenant.cluster.as_deref()).await?;
                postgres::database_exists(conn, database).await?
            }
            _ => true,
        };
        if !exists {
            let tables = tenantry_migrations::TENANT_TABLES.iter();
            return Ok(tables.map(|t| ((*t).to_owned(), 0)).collect());
        }
        let db = self.begin_at(tenant, false).await?;
        let mut counts = Vec::new();
        for table in db.plane_tables().await? {
            let count = count_rows(&db, &table).await?;
            counts.push((table, count));
        }
        db.commit().await?;
        Ok(counts)
    }
}

async fn count_rows<C: ConnectionTrait>(db: &C, table: &str) -> Result<u64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("COUNT(*) returned nothing"))?;
    let n: i64 = row.try_get("", "n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes every tenant-plane row the transaction's tenant can see, children
/// first.
pub(in crate::tenancy) async fn delete_tenant_rows<C: ConnectionTrait>(db: &C) -> Result<()> {
    for table in tenantry_migrations::TENANT_TABLES.iter().rev() {
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
    }
    Ok(())
}
