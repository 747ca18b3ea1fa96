use super::pools::Lease;
use super::TenantId;
use crate::entities::tenant::TenantOwned;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, ExecResult, IntoActiveModel, QueryResult, Statement, TransactionTrait,
};

/// A database transaction bound to exactly one tenant. It implements SeaORM's
/// `ConnectionTrait`, so entities are queried with it as usual
/// (`project::Entity::find().all(&db)`), and the placement's wall keeps every
/// statement inside the tenant. Dropped without [`TenantDb::commit`], it rolls
/// back.
pub struct TenantDb {
    // Declared first so it ends (rolls back) before the lease is returned.
    txn: DatabaseTransaction,
    tenant_id: TenantId,
    /// Keeps a per-tenant pool open while the transaction runs.
    _lease: Option<Lease>,
}

impl TenantDb {
    pub(super) fn new(txn: DatabaseTransaction, tenant_id: TenantId, lease: Option<Lease>) -> Self {
        Self {
            txn,
            tenant_id,
            _lease: lease,
        }
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// Inserts a tenant-owned row, stamping the bound tenant on it.
    pub async fn insert<A>(&self, mut row: A) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + TenantOwned + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        row.stamp_tenant(self.tenant_id.uuid());
        row.insert(self).await
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// A savepoint inside this tenant's transaction.
    pub async fn savepoint(&self) -> Result<DatabaseTransaction, DbErr> {
        self.txn.begin().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for TenantDb {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}
