//! A tenant's records in the catalog: the rows the platform keeps about one
//! tenant (certificates, plan overrides, quota counters, billing account,
//! credit, invoices, plan history) and its directory entries (its verified
//! host names). They stay in the catalog because the platform also acts on
//! them across tenants (renewals, billing runs, routing), and they are
//! behind the wall (catalog m0017, m0019).
//!
//! [`TenantRecords`] is a catalog transaction bound to one tenant. On
//! PostgreSQL it sets `app.tenant_id` for the transaction, so the tables'
//! `tenant_isolation` policy shows that tenant's rows and refuses writes
//! naming another; on SQLite, whose catalog file has no row security, its
//! query builders add the same predicate. Either way the caller never names
//! the tenant column: reads start from [`TenantRecords::find`], deletes and
//! bulk updates from [`TenantRecords::delete`] / [`TenantRecords::update`],
//! and new rows are stamped by [`TenantRecords::stamp`]. What the platform
//! reads across tenants goes through [`PlatformDb`](super::PlatformDb).

use super::{Engine, TenantCtx, TenantId};
use crate::config::Backend;
use crate::entities::catalog::AboutTenant;
use crate::error::Result;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DeleteMany,
    FromQueryResult, JsonValue, QueryFilter, Select, Statement, TransactionTrait, UpdateMany,
};

/// A catalog transaction that writes records about tenants: the platform
/// path (about any tenant) or one tenant's records (about that tenant only).
pub trait CatalogScope: ConnectionTrait {
    /// `row`, stamped as a record about `tenant`; refused in a transaction
    /// bound to another tenant.
    fn stamp_about<A>(&self, tenant: TenantId, row: A) -> Result<A>
    where
        A: ActiveModelTrait,
        A::Entity: AboutTenant;
}

impl CatalogScope for TenantRecords {
    fn stamp_about<A>(&self, tenant: TenantId, row: A) -> Result<A>
    where
        A: ActiveModelTrait,
        A::Entity: AboutTenant,
    {
        stamped_as_bound(self.tenant, tenant, row)
    }
}

/// `row` stamped as a record about `tenant`, in a transaction bound to
/// `bound`: refused for any other tenant.
pub(super) fn stamped_as_bound<A>(bound: TenantId, tenant: TenantId, row: A) -> Result<A>
where
    A: ActiveModelTrait,
    A::Entity: AboutTenant,
{
    if tenant != bound {
        return Err(anyhow::anyhow!(
            "a record about tenant {tenant} in a transaction bound to {bound}"
        )
        .into());
    }
    Ok(stamped(tenant, row))
}

impl CatalogScope for super::PlatformDb {
    fn stamp_about<A>(&self, tenant: TenantId, row: A) -> Result<A>
    where
        A: ActiveModelTrait,
        A::Entity: AboutTenant,
    {
        Ok(self.stamp(tenant, row))
    }
}

/// A catalog transaction bound to one tenant's records; rolled back unless
/// committed.
pub struct TenantRecords {
    txn: DatabaseTransaction,
    tenant: TenantId,
}

impl Engine {
    /// Opens `tenant`'s records in the catalog.
    pub async fn records_of(&self, tenant: TenantId) -> Result<TenantRecords> {
        let txn = self.catalog().begin().await?;
        if self.backend() == Backend::Postgres {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT set_config('app.tenant_id', $1, true)",
                [tenant.uuid().to_string().into()],
            ))
            .await?;
        }
        Ok(TenantRecords { txn, tenant })
    }

    /// Runs `work` on `tenant`'s records and commits.
    pub async fn on_records<T, F>(&self, tenant: TenantId, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&TenantRecords) -> Result<T>,
    {
        let records = self.records_of(tenant).await?;
        let out = work(&records).await?;
        records.commit().await?;
        Ok(out)
    }
}

impl TenantCtx {
    /// This tenant's records in the catalog.
    pub async fn records(&self) -> Result<TenantRecords> {
        self.engine().records_of(self.id()).await
    }

    /// Runs `work` on this tenant's records and commits.
    pub async fn on_records<T, F>(&self, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&TenantRecords) -> Result<T>,
    {
        self.engine().on_records(self.id(), work).await
    }
}

impl TenantRecords {
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The bound tenant's rows of `E`.
    pub fn find<E: AboutTenant>(&self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.tenant.uuid()))
    }

    /// Deletes among the bound tenant's rows of `E`.
    pub fn delete<E: AboutTenant>(&self) -> DeleteMany<E> {
        E::delete_many().filter(E::tenant_column().eq(self.tenant.uuid()))
    }

    /// Updates among the bound tenant's rows of `E`.
    pub fn update<E: AboutTenant>(&self) -> UpdateMany<E> {
        E::update_many().filter(E::tenant_column().eq(self.tenant.uuid()))
    }

    /// `row`, stamped with the bound tenant.
    pub fn stamp<A>(&self, row: A) -> A
    where
        A: ActiveModelTrait,
        A::Entity: AboutTenant,
    {
        stamped(self.tenant, row)
    }

    /// An upsert's conflict target: the bound tenant's column, then
    /// `columns` (the rest of a per-tenant unique key).
    pub fn conflict<E: AboutTenant>(
        &self,
        columns: impl IntoIterator<Item = E::Column>,
    ) -> OnConflict {
        tenant_conflict::<E>(columns)
    }

    /// The catalog tables that hold tenants' records (catalog m0017), as the
    /// database lists them: what an export of the tenant carries beside its
    /// plane.
    pub async fn record_tables(&self) -> Result<Vec<String>> {
        Ok(tables_naming_a_tenant(self)
            .await?
            .into_iter()
            .filter(|name| tenantry_migrations::TENANT_RECORDS.contains(&name.as_str()))
            .collect())
    }

    /// The bound tenant's rows of `table` (one of [`Self::record_tables`]),
    /// as JSON, in key order.
    pub async fn rows_of(&self, table: &str) -> Result<Vec<JsonValue>> {
        if !tenantry_migrations::TENANT_RECORDS.contains(&table) {
            return Err(anyhow::anyhow!("{table} holds no tenant's records").into());
        }
        let backend = self.get_database_backend();
        let placeholder = match backend {
            DbBackend::Postgres => "$1",
            _ => "?",
        };
        let sql = format!("SELECT * FROM {table} WHERE tenant = {placeholder} ORDER BY 1");
        Ok(JsonValue::find_by_statement(Statement::from_sql_and_values(
            backend,
            sql,
            [self.tenant.uuid().into()],
        ))
        .all(self)
        .await?)
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.txn.commit().await?)
    }
}

super::guard::guarded_connection!(TenantRecords, txn);

/// `row` with `tenant` in its tenant column.
pub(super) fn stamped<A>(tenant: TenantId, mut row: A) -> A
where
    A: ActiveModelTrait,
    A::Entity: AboutTenant,
{
    row.set(
        <A::Entity as AboutTenant>::tenant_column(),
        tenant.uuid().into(),
    );
    row
}

/// An upsert's conflict target on a per-tenant unique key: the tenant
/// column, then `columns`.
pub(super) fn tenant_conflict<E: AboutTenant>(
    columns: impl IntoIterator<Item = E::Column>,
) -> OnConflict {
    let mut target = vec![E::tenant_column()];
    target.extend(columns);
    OnConflict::columns(target)
}

/// Every catalog table with a `tenant` column, as the database lists them
/// (so a new table cannot be missed), the legacy copies of moved tables
/// aside.
pub(super) async fn tables_naming_a_tenant(conn: &impl ConnectionTrait) -> Result<Vec<String>> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT c.relname::text AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               AND a.attname = 'tenant' AND NOT a.attisdropped
             ORDER BY 1"
        }
        _ => {
            "SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name = 'tenant' AND m.name NOT LIKE 'legacy_%'
             ORDER BY 1"
        }
    };
    let rows = conn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect::<Result<_, _>>()?)
}
