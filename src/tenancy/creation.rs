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
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend};

/// A new pool tenant's first transaction; rolled back unless committed.
pub struct NewPoolTenant {
    db: TenantDb,
    /// Whether its keys were made beforehand.
    keyed: bool,
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
        // Its first rows may be sealed (personal data): its keys are made
        // before its catalog row exists, which the keyring's own check
        // would look for, and marked in the same transaction as the row.
        let keyed = self.settings().encryption.seals_any();
        if keyed {
            self.add_key_generation(id, super::keys::INDEX_GENERATION)
                .await?;
            self.add_key_generation(id, 1).await?;
        }
        let pool = self.catalog().get_postgres_connection_pool();
        let db = TenantDb::begin_postgres(pool, id, "public", true, None)
            .await?
            .with_personal(super::keys::Personal::new(self.clone(), id));
        Ok(Some(NewPoolTenant { db, keyed }))
    }
}

impl NewPoolTenant {
    /// The new tenant's plane, in this same transaction.
    pub fn plane(&self) -> &TenantDb {
        &self.db
    }

    /// Commits, marking the tenant keyed (once its catalog row is written)
    /// when its keys were made beforehand.
    pub async fn commit(self) -> Result<()> {
        if self.keyed {
            let mark = super::keys::mark_keyed(DbBackend::Postgres, self.db.tenant_id());
            self.db.execute_raw(mark).await?;
        }
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
