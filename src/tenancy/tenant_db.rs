use super::db_meter::DbMeter;
use super::keys::Personal;
use super::pools::Lease;
use super::TenantId;
use crate::entities::tenant::TenantOwned;
use crate::observe::Observer;
use sea_orm::sqlx::postgres::PgTransactionManager;
use sea_orm::sqlx::{self, pool::PoolConnection};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, ExecResult, IntoActiveModel, QueryResult, Statement,
};
use sea_query_sqlx::SqlxValues;
use sqlx_core::sql_str::SqlSafeStr;
use sqlx_core::transaction::TransactionManager;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// A database transaction bound to exactly one tenant. It implements SeaORM's
/// `ConnectionTrait`, so entities are queried with it as usual
/// (`project::Entity::find().all(&db)`), and the placement's wall keeps every
/// statement inside the tenant. Every statement passes the binding guard
/// first (`tenancy::guard`): one that could change or end the binding
/// (`set_config`, `SET`, `COMMIT`, `ATTACH`, …) is refused before it is sent.
/// Dropped without [`TenantDb::commit`], it rolls back.
pub struct TenantDb {
    // Declared first so it ends (rolls back) before the lease is returned.
    txn: Txn,
    tenant_id: TenantId,
    writes: bool,
    /// Keeps a per-tenant pool open while the transaction runs.
    _lease: Option<Lease>,
    /// Reports the transaction's database work when it ends.
    meter: Option<DbMeter>,
    /// Statements sent unnamed (through PgBouncer in transaction mode,
    /// where a named one would be missing, or another client's, on the
    /// next server connection).
    unnamed: bool,
    /// Seals and opens the tenant's personal data (`keys::personal`);
    /// given by the engine to every transaction it begins.
    personal: Option<Personal>,
    /// The plane's tables, once listed: no tenant transaction changes them,
    /// and a restore asks for each table it writes.
    plane_tables: std::sync::OnceLock<Arc<[String]>>,
}

enum Txn {
    /// SQLite: SeaORM's transaction on the tenant's file.
    Sea(DatabaseTransaction),
    /// Postgres: a pooled connection in a transaction begun together with the
    /// tenant binding, in one round trip (SeaORM cannot issue a custom
    /// `BEGIN`).
    Pg(Mutex<OpenPg>),
}

/// A pooled connection inside a transaction it began. Unless committed, it is
/// rolled back before the pool sees it again (or closed if that fails), so
/// no other request can ever find it inside a transaction.
struct OpenPg(Option<PoolConnection<sqlx::Postgres>>);

impl OpenPg {
    fn conn(&mut self) -> Result<&mut sqlx::PgConnection, DbErr> {
        self.0
            .as_deref_mut()
            .ok_or_else(|| DbErr::Custom("tenant transaction already ended".into()))
    }

    /// Hands the connection back to the pool as it is (its transaction ended).
    fn release(mut self) {
        drop(self.0.take());
    }

    /// Closes the connection instead of handing it back.
    fn close(mut self) {
        if let Some(mut conn) = self.0.take() {
            conn.close_on_drop();
        }
    }
}

impl Drop for OpenPg {
    fn drop(&mut self) {
        let Some(mut conn) = self.0.take() else {
            return;
        };
        if PgTransactionManager::get_transaction_depth(&conn) > 0 {
            // Begun through sqlx, which knows it is in a transaction: the
            // `ROLLBACK` is queued, and leaves in one write with the ping
            // sqlx sends as the connection goes back to the pool (which
            // closes it if that fails) — one round trip after release, not
            // two, and nobody waits for it.
            PgTransactionManager::start_rollback(&mut conn);
            return;
        }
        // A begin cut short: the server may have the `BEGIN` though sqlx
        // never counted it, so the rollback is sent and waited for here.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.is_err() {
                        conn.close_on_drop();
                    }
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}

impl TenantDb {
    pub(super) fn new(txn: DatabaseTransaction, tenant_id: TenantId, lease: Option<Lease>) -> Self {
        Self {
            txn: Txn::Sea(txn),
            tenant_id,
            writes: true,
            _lease: lease,
            meter: None,
            unnamed: false,
            personal: None,
            plane_tables: std::sync::OnceLock::new(),
        }
    }

    /// Begins on `pool` with `BEGIN; SELECT public.tenantry_enter(…)` as one
    /// simple query: one round trip instead of two.
    pub(super) async fn begin_postgres(
        pool: &sqlx::PgPool,
        tenant_id: TenantId,
        schema: &str,
        writes: bool,
        lease: Option<Lease>,
    ) -> Result<Self, DbErr> {
        let begin = format!(
            "BEGIN; SELECT public.tenantry_enter('{}'::uuid, {}, {writes})",
            tenant_id.uuid(),
            super::postgres::quote_literal(schema)
        );
        // Pools hand out a recently used connection without pinging it
        // (`pools::IDLE_BEFORE_PING`), so PostgreSQL may have ended it
        // meanwhile (a restart, `pg_terminate_backend`). Nothing has run on
        // it yet: such a connection is closed and the `BEGIN` sent once more
        // on another, where it fails only if the server is really gone.
        let open = match Self::send_begin(pool, &begin).await {
            Err(e) if connection_lost(&e) => {
                tracing::debug!(error = %e, "a pooled connection was gone; beginning on another");
                Self::send_begin(pool, &begin).await
            }
            opened => opened,
        }
        .map_err(exec_err)?;
        Ok(Self {
            txn: Txn::Pg(Mutex::new(open)),
            tenant_id,
            writes,
            _lease: lease,
            meter: None,
            unnamed: false,
            personal: None,
            plane_tables: std::sync::OnceLock::new(),
        })
    }

    /// Takes a connection and sends `begin` on it; on failure the
    /// connection is rolled back, or closed when that fails too.
    async fn send_begin(pool: &sqlx::PgPool, begin: &str) -> Result<OpenPg, sqlx::Error> {
        // Owned by `OpenPg` before `BEGIN` goes out: if this future is
        // dropped from here on (a cancelled request), the connection is
        // rolled back before the pool sees it again, never handed to the
        // next borrower inside this transaction.
        let mut pooled = pool.acquire().await?;
        if PgTransactionManager::get_transaction_depth(&pooled) > 0 {
            // Counted inside a transaction by a holder that did not end it
            // (never by `TenantDb`, whose ends even the count): what the
            // server thinks is unknown, so it is closed, not used.
            tracing::warn!(
                "a pooled connection came back counted inside a transaction; closing it"
            );
            pooled.close_on_drop();
            drop(pooled);
            pooled = pool.acquire().await?;
        }
        let mut open = OpenPg(Some(pooled));
        let conn = open.0.as_deref_mut().ok_or(sqlx::Error::PoolClosed)?;
        let statement = sqlx::AssertSqlSafe(begin.to_owned()).into_sql_str();
        if let Err(e) = PgTransactionManager::begin(conn, Some(statement)).await {
            // A refused binding (a fenced tenant) leaves the transaction
            // aborted: end it here, or drop the connection.
            if let Some(mut conn) = open.0.take() {
                if connection_lost(&e)
                    || sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.is_err()
                {
                    conn.close_on_drop();
                }
            }
            return Err(e);
        }
        Ok(open)
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// What seals and opens the tenant's personal data in this transaction.
    /// Fails closed on a transaction begun without it.
    pub fn personal(&self) -> Result<&Personal, DbErr> {
        self.personal.as_ref().ok_or_else(|| {
            DbErr::Custom("this tenant transaction cannot seal personal data".into())
        })
    }

    /// Gives the transaction its personal-data sealing.
    pub(super) fn with_personal(mut self, personal: Personal) -> Self {
        self.personal = Some(personal);
        self
    }

    /// Sends this transaction's statements unnamed when `unnamed`.
    pub(super) fn unnamed(mut self, unnamed: bool) -> Self {
        self.unnamed = unnamed;
        self
    }

    /// Reports this transaction's database work to `observer` when it ends;
    /// its `BEGIN` took `begin`.
    pub(super) fn metered(mut self, observer: &Observer, begin: Duration) -> Self {
        if observer.is_on() {
            self.meter = Some(DbMeter::new(observer.clone(), self.tenant_id.uuid(), begin));
        }
        self
    }

    /// Sends one statement through `send`, counting its time and the rows
    /// `rows` says it touched.
    async fn counted<T>(
        &self,
        send: impl Future<Output = Result<T, DbErr>>,
        rows: impl Fn(&T) -> u64,
    ) -> Result<T, DbErr> {
        let Some(meter) = &self.meter else {
            return send.await;
        };
        let started = Instant::now();
        let sent = send.await;
        meter.statement(started.elapsed(), sent.as_ref().map_or(0, rows));
        sent
    }

    /// The tenant-plane tables of the unit this transaction is bound to, as
    /// its database lists them — every table with a `tenant_id` column in
    /// the bound schema or file, not a hand-kept list — in the migrations'
    /// creation order (parents first), any table they do not name after
    /// them. Exports and deletion receipts cover exactly these.
    pub async fn plane_tables(&self) -> Result<Vec<String>, DbErr> {
        if let Some(tables) = self.plane_tables.get() {
            return Ok(tables.to_vec());
        }
        let sql = match self.get_database_backend() {
            DbBackend::Postgres => {
                "SELECT c.relname::text AS name FROM pg_attribute a
                 JOIN pg_class c ON c.oid = a.attrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE a.attname = 'tenant_id' AND NOT a.attisdropped
                   AND c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
            }
            _ => {
                "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND p.name = 'tenant_id'"
            }
        };
        let rows = self
            .query_all_raw(Statement::from_string(self.get_database_backend(), sql))
            .await?;
        let mut tables = rows
            .iter()
            .map(|r| r.try_get::<String>("", "name"))
            .collect::<Result<Vec<_>, _>>()?;
        let known = tenantry_migrations::TENANT_TABLES;
        tables.sort_by_key(|t| {
            let at = known.iter().position(|k| k == t).unwrap_or(known.len());
            (at, t.clone())
        });
        let _ = self.plane_tables.set(tables.clone().into());
        Ok(tables)
    }

    /// Refuses, before it is sent, a statement that could change or drop the
    /// tenant binding (see `tenancy::guard`). Nothing reaches the database,
    /// so the transaction stays bound and usable.
    fn guard(&self, sql: &str) -> Result<(), DbErr> {
        super::guard::check(self.get_database_backend(), sql)
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

    /// Inserts tenant-owned rows in one statement, stamping the bound tenant
    /// on each and skipping any whose primary key exists already (an
    /// idempotent retry). Returns how many were inserted.
    pub async fn insert_new<A>(&self, mut rows: Vec<A>) -> Result<u64, DbErr>
    where
        A: ActiveModelTrait + TenantOwned + Send,
    {
        for row in &mut rows {
            row.stamp_tenant(self.tenant_id.uuid());
        }
        let inserted = A::Entity::insert_many(rows)
            .on_conflict_do_nothing()
            .exec_without_returning(self)
            .await?;
        Ok(match inserted {
            sea_orm::TryInsertResult::Inserted(n) => n,
            sea_orm::TryInsertResult::Conflicted | sea_orm::TryInsertResult::Empty => 0,
        })
    }

    /// Ends the transaction keeping its writes. A read-only Postgres
    /// transaction has none: it is simply released, and its queued
    /// `ROLLBACK` leaves with the ping sqlx sends as the connection goes back
    /// to the pool, instead of costing a round trip now.
    pub async fn commit(self) -> Result<(), DbErr> {
        // The lease and the meter live until the end has been sent.
        let TenantDb {
            txn,
            writes,
            _lease: lease,
            meter,
            ..
        } = self;
        let started = Instant::now();
        let ended = match txn {
            Txn::Sea(txn) => txn.commit().await,
            Txn::Pg(_) if !writes => Ok(()),
            Txn::Pg(txn) => {
                // The connection stays with `open` while `COMMIT` is on the
                // wire: a commit cancelled there (the client went away)
                // leaves sqlx counting it inside a transaction, and `open`'s
                // drop then queues a `ROLLBACK` behind the `COMMIT` (a no-op
                // if that landed) and evens the count. Taken out before, it
                // went back to the pool counted inside one, and every later
                // begin on it failed ("begin_with at non-zero transaction
                // depth").
                let mut open = txn.into_inner();
                let committed = PgTransactionManager::commit(open.conn()?).await;
                match committed {
                    Ok(()) => open.release(),
                    Err(_) => open.close(),
                }
                committed.map_err(exec_err)
            }
        };
        if let Some(meter) = &meter {
            meter.waited(started.elapsed());
        }
        drop((meter, lease));
        ended
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for TenantDb {
    fn get_database_backend(&self) -> DbBackend {
        match &self.txn {
            Txn::Sea(txn) => txn.get_database_backend(),
            Txn::Pg(_) => DbBackend::Postgres,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.guard(&stmt.sql)?;
        let send = async {
            match &self.txn {
                Txn::Sea(txn) => txn.execute_raw(stmt).await,
                Txn::Pg(txn) => {
                    let mut open = txn.lock().await;
                    bound(&stmt, self.unnamed)
                        .execute(open.conn()?)
                        .await
                        .map(ExecResult::from)
                        .map_err(exec_err)
                }
            }
        };
        self.counted(send, ExecResult::rows_affected).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.guard(sql)?;
        let send = async {
            match &self.txn {
                Txn::Sea(txn) => txn.execute_unprepared(sql).await,
                Txn::Pg(txn) => {
                    let mut open = txn.lock().await;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                        .execute(open.conn()?)
                        .await
                        .map(ExecResult::from)
                        .map_err(exec_err)
                }
            }
        };
        self.counted(send, ExecResult::rows_affected).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.guard(&stmt.sql)?;
        let send = async {
            match &self.txn {
                Txn::Sea(txn) => txn.query_one_raw(stmt).await,
                Txn::Pg(txn) => {
                    let mut open = txn.lock().await;
                    bound(&stmt, self.unnamed)
                        .fetch_optional(open.conn()?)
                        .await
                        .map(|row| row.map(QueryResult::from))
                        .map_err(query_err)
                }
            }
        };
        self.counted(send, |row| u64::from(row.is_some())).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.guard(&stmt.sql)?;
        let send = async {
            match &self.txn {
                Txn::Sea(txn) => txn.query_all_raw(stmt).await,
                Txn::Pg(txn) => {
                    let mut open = txn.lock().await;
                    bound(&stmt, self.unnamed)
                        .fetch_all(open.conn()?)
                        .await
                        .map(|rows| rows.into_iter().map(QueryResult::from).collect())
                        .map_err(query_err)
                }
            }
        };
        self.counted(send, |rows: &Vec<QueryResult>| rows.len() as u64)
            .await
    }
}

/// sqlx errors in the shape SeaORM gives them, so that constraint names and
/// `DbErr::sql_err` read the same on every path.
fn exec_err(err: sqlx::Error) -> DbErr {
    DbErr::Exec(sea_orm::RuntimeErr::SqlxError(err.into()))
}

fn query_err(err: sqlx::Error) -> DbErr {
    DbErr::Query(sea_orm::RuntimeErr::SqlxError(err.into()))
}

/// A SeaORM statement as a sqlx query with its values bound; `unnamed`, it
/// is parsed afresh each time instead of prepared once per connection.
fn bound(stmt: &Statement, unnamed: bool) -> sqlx::query::Query<'_, sqlx::Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
        .persistent(!unnamed)
}

/// Whether `e` says the connection itself is gone (closed, reset, or ended
/// by the server: SQLSTATE classes 08 and 57P), rather than the statement
/// having failed on a live one.
fn connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
