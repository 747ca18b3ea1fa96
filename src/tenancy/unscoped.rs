use super::Engine;
use crate::catalog::audit;
use crate::error::Result;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement};

/// Platform-wide access to the catalog connection, outside any tenant. The only
/// escape hatch from the tenant context: every use logs a warning and writes a
/// platform audit entry naming the actor and the reason. On Postgres the pooled
/// tenant tables still apply RLS here (no tenant is bound), so this reaches
/// the control plane and platform-level views, not a tenant's rows.
pub struct Unscoped<'a> {
    engine: &'a Engine,
}

impl Engine {
    /// Loud, audited, platform-wide access. `reason` says why, for the audit.
    pub async fn unscoped(&self, actor: &str, reason: &str) -> Result<Unscoped<'_>> {
        tracing::warn!(target: "tenantry::unscoped", actor, reason, "unscoped database access");
        audit::record(self, actor, "unscoped.access", None, reason).await?;
        Ok(Unscoped { engine: self })
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Unscoped<'_> {
    fn get_database_backend(&self) -> DbBackend {
        self.engine.catalog().get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.engine.catalog().execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.engine.catalog().execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.engine.catalog().query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.engine.catalog().query_all_raw(stmt).await
    }
}
