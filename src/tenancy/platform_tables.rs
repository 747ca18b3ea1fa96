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

use sea_orm::DatabaseConnection;

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
