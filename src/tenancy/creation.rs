//! The one transaction that creates a `pool` tenant on PostgreSQL: its
//! catalog row, the platform's records and directory entries about it, and
//! its first rows in the plane, committed together. The pool's plane and the
//! catalog are one database, so nothing needs a second transaction; the
//! placements that need DDL first (a schema, a database, a SQLite file) keep
//! the stepwise path in `catalog::tenants`.
//!
//! The transaction is bound to the new tenant from its first statement
//! (`tenantry_enter`, as every tenant transaction), so the walled catalog
//! tables accept rows about this tenant only and the plane's rows land under
//! its id; records about it are stamped through [`CatalogScope`], which
//! refuses any other tenant.

use super::{records, CatalogScope, Engine, Placement, TenantDb, TenantId};
use crate::config::Backend;
use crate::entities::catalog::AboutTenant;
use crate::error::Result;
use sea_orm::ActiveModelTrait;

/// A new pool tenant's first transaction; rolled back unless committed.
pub struct NewPoolTenant {
    db: TenantDb,
}

impl Engine {
    /// Begins the creating transaction of tenant `id` when it can be one:
    /// `pool` on PostgreSQL. `None` on the other placements and backends.
    pub(crate) async fn begin_pool_creation(
        &self,
        id: TenantId,
        placement: Placement,
    ) -> Result<Option<NewPoolTenant>> {
        if placement != Placement::Pool || self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let pool = self.catalog().get_postgres_connection_pool();
        let db = TenantDb::begin_postgres(pool, id, "public", true, None).await?;
        Ok(Some(NewPoolTenant { db }))
    }
}

impl NewPoolTenant {
    /// The new tenant's plane, in this same transaction.
    pub fn plane(&self) -> &TenantDb {
        &self.db
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.db.commit().await?)
    }
}

impl CatalogScope for NewPoolTenant {
    fn stamp_about<A>(&self, tenant: TenantId, row: A) -> Result<A>
    where
        A: ActiveModelTrait,
        A::Entity: AboutTenant,
    {
        records::stamped_as_bound(self.db.tenant_id(), tenant, row)
    }
}

super::guard::guarded_connection!(NewPoolTenant, db);
