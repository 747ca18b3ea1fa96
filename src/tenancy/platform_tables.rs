//! The platform's own tables in the catalog: those that name no tenant —
//! the tenants themselves (the directory), sessions, superadmins, plans,
//! meters and flags, the platform's own webhook endpoints, its ACME and
//! Stripe bookkeeping. [`PlatformTables`] runs single statements on them,
//! autocommit, as the runtime role, through the binding guard: it sees no
//! row of any table behind the wall (a tenant's records are reached through
//! [`TenantRecords`](super::TenantRecords), the platform's records about
//! tenants through [`PlatformDb`](super::PlatformDb)), and no statement can
//! take the platform scope or a tenant binding. It is the only catalog
//! connection outside `src/tenancy`.

use super::{Engine, TenantId, TenantState};
use crate::entities::catalog::tenant;
use crate::error::Result;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Guarded access to the platform's own catalog tables.
pub struct PlatformTables {
    conn: DatabaseConnection,
}

impl PlatformTables {
    pub(super) fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

super::guard::guarded_connection!(PlatformTables, conn);

impl Engine {
    /// The ids of every tenant that is not deleted, oldest first: what the
    /// platform's background passes visit.
    pub async fn live_tenants(&self) -> Result<Vec<TenantId>> {
        Ok(tenant::Entity::find()
            .select_only()
            .column(tenant::Column::Id)
            .filter(tenant::Column::State.ne(TenantState::Deleted.as_str()))
            .order_by_asc(tenant::Column::Id)
            .into_tuple::<uuid::Uuid>()
            .all(self.platform_tables())
            .await?
            .into_iter()
            .map(TenantId::from_uuid)
            .collect())
    }
}
