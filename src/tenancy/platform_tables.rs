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

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};

/// Guarded access to the platform's own catalog tables.
pub struct PlatformTables {
    conn: DatabaseConnection,
}

impl PlatformTables {
    pub(super) fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    fn guard(&self, sql: &str) -> Result<(), DbErr> {
        super::guard::check(self.conn.get_database_backend(), sql)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for PlatformTables {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.guard(&stmt.sql)?;
        self.conn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.guard(sql)?;
        self.conn.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.guard(&stmt.sql)?;
        self.conn.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.guard(&stmt.sql)?;
        self.conn.query_all_raw(stmt).await
    }
}
