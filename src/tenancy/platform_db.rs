//! The platform path: a catalog transaction for what the platform itself
//! reads and writes across tenants (directory lookups, the background
//! queues, superadmin work). On PostgreSQL it runs as the platform role
//! (`SET LOCAL ROLE tenantry_platform`), which the platform-scoped tables'
//! policies name (directory entries and the platform's records about
//! tenants, catalog m0016); the runtime role does not inherit that role, so
//! the same statement on a plain catalog connection sees none of their rows,
//! never every tenant's. Its statements pass the binding guard, so the
//! scope cannot be changed or left from inside.

use super::{Engine, TenantId};
use crate::config::Backend;
use crate::entities::catalog::AboutTenant;
use crate::error::Result;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, TransactionTrait};

/// Why the platform path was opened: named in its log line.
#[derive(Debug, Clone, Copy)]
pub enum PlatformUse {
    /// Finding a tenant from something presented (a key prefix).
    Directory,
    /// A background queue or maintenance pass.
    Maintenance(&'static str),
    /// A purge, acting on one tenant's directory entries.
    Purge,
    /// A platform change written with its platform audit entry and
    /// lifecycle event, in one transaction.
    Records,
    /// A superadmin reading the platform's logs.
    Console,
}

/// A transaction in the platform scope; rolled back unless committed.
pub struct PlatformDb {
    txn: DatabaseTransaction,
}

impl Engine {
    /// Opens the platform path for `purpose`.
    pub async fn platform(&self, purpose: PlatformUse) -> Result<PlatformDb> {
        tracing::debug!(target: "tenantry::platform", ?purpose, "platform scope");
        let txn = self.catalog().begin().await?;
        if self.backend() == Backend::Postgres {
            txn.execute_unprepared(&format!(
                "SET LOCAL ROLE {}",
                tenantry_migrations::PLATFORM_ROLE
            ))
            .await?;
        }
        Ok(PlatformDb { txn })
    }

    /// Runs `work` on the platform path for `purpose` and commits.
    pub async fn on_platform<T, F>(&self, purpose: PlatformUse, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&PlatformDb) -> Result<T>,
    {
        let db = self.platform(purpose).await?;
        let out = work(&db).await?;
        db.commit().await?;
        Ok(out)
    }
}

impl PlatformDb {
    /// `row`, a record about `tenant` that the platform writes (a new
    /// tenant's first rows, made in the transaction creating it).
    pub fn stamp<A>(&self, tenant: TenantId, row: A) -> A
    where
        A: ActiveModelTrait,
        A::Entity: AboutTenant,
    {
        super::records::stamped(tenant, row)
    }

    /// An upsert's conflict target on a per-tenant unique key of a record
    /// about a tenant: the tenant column, then `columns`.
    pub fn conflict<E: AboutTenant>(
        columns: impl IntoIterator<Item = E::Column>,
    ) -> sea_orm::sea_query::OnConflict {
        super::records::tenant_conflict::<E>(columns)
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.txn.commit().await?)
    }
}

super::guard::guarded_connection!(PlatformDb, txn);
