//! Moving a live tenant between placements (Postgres).
//!
//! Steps, each recorded in `tenant_moves.step` before it starts:
//!
//! 1. `provisioning` — the target is created (from the templates) or, on the
//!    pool, cleared of leftovers.
//! 2. `copying` — the rows are copied table by table from one consistent
//!    snapshot of the source while the tenant keeps serving.
//! 3. `catching_up` — rows written meanwhile are found by per-row hashes and
//!    synced, until both sides' counts and checksums agree.
//! 4. `frozen` — writers are held off by the tenant's advisory lock (readers
//!    are not); the last changes are synced; counts and checksums are verified
//!    per table; the catalog switches to the target and the source is fenced;
//!    the lock is released. Waiting writers then retry on the target.
//! 5. `cleaning` — after a barrier that waits out readers of the source, the
//!    old copy is removed.
//!
//! A crash before the switch leaves the catalog on the source (complete: it
//! never stopped serving); re-running the move starts again from step 1, and
//! `rollback` removes the partial target. A crash after the switch leaves the
//! catalog on the target (verified complete); re-running finishes the fence and
//! the clean-up. Either way the tenant is served from exactly one complete
//! placement.

use super::engine::{connect_pool, delete_tenant_rows};
use super::{fleet, postgres, Engine, Placement, PlatformUse, Slug, TenantId, TenantRecord};

use super::failpoint;
use super::platform_audit as audit;
use crate::config::Backend;
use crate::entities::catalog::tenant_move;
use crate::error::{violated_unique_constraint, Error, Result};
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel, QueryFilter, QueryOrder, Set,
    Statement, TransactionTrait,
};
use std::collections::HashMap;
use std::time::Instant;
use tenantry_migrations::TENANT_TABLES;

/// Moves are the platform's records (`tenant_moves` is platform-scoped).
const SCOPE: PlatformUse = PlatformUse::Maintenance("moves");

/// Rows per insert statement while copying.
const BATCH: usize = 2_000;

/// How a move stands, for the CLI and the console.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoveStatus {
    pub id: uuid::Uuid,
    pub from: Placement,
    pub to: Placement,
    pub step: String,
    pub rows_total: i64,
    pub rows_copied: i64,
    pub freeze_ms: Option<i64>,
    pub error: Option<String>,
    pub finished: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl MoveStatus {
    fn from_model(m: tenant_move::Model) -> Self {
        Self {
            id: m.id,
            from: Placement::parse(&m.from_placement).unwrap_or(Placement::Pool),
            to: Placement::parse(&m.to_placement).unwrap_or(Placement::Pool),
            step: m.step,
            rows_total: m.rows_total,
            rows_copied: m.rows_copied,
            freeze_ms: m.freeze_ms,
            error: m.error,
            finished: m.finished_at.is_some(),
            started_at: m.started_at,
        }
    }
}

/// The latest move of a tenant, finished or not.
pub async fn latest(engine: &Engine, tenant: TenantId) -> Result<Option<MoveStatus>> {
    let latest = tenant_move::Entity::find()
        .filter(tenant_move::Column::Tenant.eq(tenant.uuid()))
        .order_by_desc(tenant_move::Column::StartedAt);
    let found = engine
        .on_platform(SCOPE, async |db| Ok(latest.one(db).await?))
        .await?;
    Ok(found.map(MoveStatus::from_model))
}

/// One move by id.
pub async fn status(engine: &Engine, id: uuid::Uuid) -> Result<Option<MoveStatus>> {
    let found = engine
        .on_platform(SCOPE, async |db| {
            Ok(tenant_move::Entity::find_by_id(id).one(db).await?)
        })
        .await?;
    Ok(found.map(MoveStatus::from_model))
}

/// Records a move of `slug` to `to` (or picks up the unfinished one, which
/// must be headed the same way) and returns its id; [`run`] carries it out.
pub async fn plan(
    engine: &Engine,
    raw_slug: &str,
    to: Placement,
    actor: &str,
) -> Result<uuid::Uuid> {
    if engine.backend() != Backend::Postgres {
        return Err(Error::invalid(
            "to",
            "moves between placements need Postgres; the embedded SQLite default keeps one file per tenant",
        ));
    }
    let tenant = record_of(engine, raw_slug).await?;
    if let Some(open) = open_move(engine, tenant.id).await? {
        if open.to_placement != to.as_str() {
            return Err(Error::conflict(
                "to",
                format!(
                    "an unfinished move to {} exists; resume it or roll it back first",
                    open.to_placement
                ),
            ));
        }
        return Ok(open.id);
    }
    if !matches!(
        tenant.state,
        super::TenantState::Active | super::TenantState::Suspended
    ) {
        return Err(Error::invalid(
            "slug",
            "only active or suspended tenants can move",
        ));
    }
    if tenant.placement == to {
        return Err(Error::invalid(
            "to",
            format!("the tenant is already in the {} placement", to.as_str()),
        ));
    }
    engine.owner_for_ddl().await?;
    let now = chrono::Utc::now();
    let id = uuid::Uuid::now_v7();
    let platform = engine.platform(SCOPE).await?;
    tenant_move::ActiveModel {
        id: Set(id),
        tenant: Set(tenant.id.uuid()),
        from_placement: Set(tenant.placement.as_str().into()),
        from_location: Set(tenant.location.clone()),
        to_placement: Set(to.as_str().into()),
        to_location: Set(engine.location_for(tenant.id, to)),
        step: Set("planned".into()),
        rows_total: Set(0),
        rows_copied: Set(0),
        freeze_ms: Set(None),
        error: Set(None),
        started_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&platform)
    .await
    .map_err(|e| match violated_unique_constraint(&e).as_deref() {
        Some("tenant_moves_open_idx") => {
            Error::conflict("to", "a move of this tenant is already in progress")
        }
        _ => e.into(),
    })?;
    platform.commit().await?;
    let detail = format!("{} -> {}", tenant.placement.as_str(), to.as_str());
    audit::record(
        engine,
        actor,
        "tenant.move_started",
        Some(tenant.id),
        &detail,
    )
    .await?;
    Ok(id)
}

/// Carries out (or resumes) a planned move to its end.
pub async fn run(engine: &Engine, move_id: uuid::Uuid) -> Result<MoveStatus> {
    let m = load(engine, move_id).await?;
    let tenant_id = TenantId::from_uuid(m.tenant);
    // One mover per tenant: a session lock on a connection of its own, which
    // a crashed mover's connection takes with it.
    let guard = connect_pool(&engine.settings().owner_url(), Backend::Postgres, 1).await?;
    let locked = guard
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_lock(3, hashtext($1::text)) AS ok",
            [tenant_id.uuid().into()],
        ))
        .await?
        .map(|r| r.try_get::<bool>("", "ok"))
        .transpose()?
        .unwrap_or(false);
    if !locked {
        guard.close().await?;
        return Err(Error::conflict(
            "to",
            "another process is moving this tenant right now",
        ));
    }
    let mover = Mover::new(engine, m).await?;
    let outcome = mover.drive().await;
    mover.close().await;
    guard.close().await?;
    if let Err(e) = &outcome {
        let message = match e {
            Error::Unexpected(cause) => format!("{cause:#}"),
            other => other.to_string(),
        };
        set(engine, move_id, |m| m.error = Set(Some(message))).await?;
    }
    outcome?;
    Ok(MoveStatus::from_model(load(engine, move_id).await?))
}

/// Plans and runs a move in one call (the CLI).
pub async fn move_tenant(
    engine: &Engine,
    slug: &str,
    to: Placement,
    actor: &str,
) -> Result<MoveStatus> {
    let id = plan(engine, slug, to, actor).await?;
    run(engine, id).await
}

/// Abandons an unfinished move that has not switched yet: removes the
/// partial target. The tenant stays where it is.
pub async fn rollback(engine: &Engine, raw_slug: &str, actor: &str) -> Result<MoveStatus> {
    let tenant = record_of(engine, raw_slug).await?;
    let m = open_move(engine, tenant.id)
        .await?
        .ok_or_else(|| Error::invalid("slug", "this tenant has no unfinished move"))?;
    let mover = Mover::new(engine, m.clone()).await?;
    if mover.switched(&tenant) {
        return Err(Error::conflict(
            "slug",
            "the move already switched to the new placement; resume it to finish the clean-up",
        ));
    }
    let removed = match mover.to.exists(engine).await {
        Ok(true) => mover.remove_side(&mover.to, false).await,
        Ok(false) => Ok(()),
        Err(e) => Err(e),
    };
    mover.close().await;
    removed?;
    set(engine, m.id, |m| {
        m.step = Set("rolled_back".into());
        m.finished_at = Set(Some(chrono::Utc::now()));
    })
    .await?;
    audit::record(
        engine,
        actor,
        "tenant.move_rolled_back",
        Some(tenant.id),
        "",
    )
    .await?;
    Ok(MoveStatus::from_model(load(engine, m.id).await?))
}

/// The unfinished move of a tenant, if any.
pub async fn open_move(engine: &Engine, tenant: TenantId) -> Result<Option<tenant_move::Model>> {
    let open = tenant_move::Entity::find()
        .filter(tenant_move::Column::Tenant.eq(tenant.uuid()))
        .filter(tenant_move::Column::FinishedAt.is_null());
    engine
        .on_platform(SCOPE, async |db| Ok(open.one(db).await?))
        .await
}

/// Unfinished moves of every tenant that stopped without an error: their
/// mover's instance died (a move that failed waits for a superadmin to
/// resume or roll it back).
pub async fn unfinished(engine: &Engine) -> Result<Vec<uuid::Uuid>> {
    let open = tenant_move::Entity::find()
        .filter(tenant_move::Column::FinishedAt.is_null())
        .filter(tenant_move::Column::Error.is_null());
    let rows = engine
        .on_platform(SCOPE, async |db| Ok(open.all(db).await?))
        .await?;
    Ok(rows.into_iter().map(|m| m.id).collect())
}

/// Resumes the moves whose mover died (periodic platform work, on any
/// instance): each from its recorded step. A move whose mover is alive holds
/// its tenant's lock, and is left to it. Returns how many were finished.
pub async fn resume_abandoned(engine: &Engine) -> Result<usize> {
    let mut finished = 0;
    for id in unfinished(engine).await? {
        match run(engine, id).await {
            Ok(status) if status.finished => finished += 1,
            Ok(_) => {}
            // Another instance's mover is at it.
            Err(Error::Conflict(_)) => {}
            Err(e) => tracing::warn!(move_id = %id, error = %e, "an abandoned move stopped again"),
        }
    }
    Ok(finished)
}

async fn record_of(engine: &Engine, raw_slug: &str) -> Result<TenantRecord> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)
}

async fn load(engine: &Engine, id: uuid::Uuid) -> Result<tenant_move::Model> {
    engine
        .on_platform(SCOPE, async |db| {
            Ok(tenant_move::Entity::find_by_id(id).one(db).await?)
        })
        .await?
        .ok_or(Error::NotFound)
}

async fn set(
    engine: &Engine,
    id: uuid::Uuid,
    change: impl FnOnce(&mut tenant_move::ActiveModel),
) -> Result<()> {
    let mut row = tenant_move::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    change(&mut row);
    engine
        .on_platform(SCOPE, async |db| {
            row.update(db).await?;
            Ok(())
        })
        .await
}

/// One end of a move.
struct Side {
    placement: Placement,
    location: Option<String>,
    /// Owner connection to the database holding this side; opened on first
    /// use, since a target database exists only once provisioned.
    conn: tokio::sync::OnceCell<DatabaseConnection>,
    owner_url: String,
}

impl Side {
    async fn conn(&self) -> Result<&DatabaseConnection> {
        self.conn
            .get_or_try_init(|| connect_pool(&self.owner_url, Backend::Postgres, 3))
            .await
    }

    /// Whether this side's schema or database exists (the pool always does).
    async fn exists(&self, engine: &Engine) -> Result<bool> {
        let owner = engine.owner_for_ddl().await?;
        Ok(match (self.placement, self.location.as_deref()) {
            (Placement::Schema, Some(schema)) => postgres::schema_exists(owner, schema).await?,
            (Placement::Database, Some(db)) => postgres::database_exists(owner, db).await?,
            _ => true,
        })
    }

    /// Closes a connection of its own (a tenant database's).
    async fn close(&self) {
        if self.placement == Placement::Database {
            if let Some(conn) = self.conn.get() {
                let _ = conn.clone().close().await;
            }
        }
    }

    fn schema(&self) -> &str {
        match (self.placement, &self.location) {
            (Placement::Schema, Some(schema)) => schema,
            _ => "public",
        }
    }

    /// A transaction on this side, bound to the tenant (the owner is subject to
    /// row-level security too).
    async fn begin(&self, tenant: TenantId, snapshot: bool) -> Result<DatabaseTransaction> {
        let conn = self.conn().await?;
        let txn = if snapshot {
            conn.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        } else {
            conn.begin().await?
        };
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('search_path', $1, true), set_config('app.tenant_id', $2, true)",
            [
                postgres::quote_ident(self.schema()).into(),
                tenant.to_string().into(),
            ],
        ))
        .await?;
        Ok(txn)
    }
}

struct Mover<'a> {
    engine: &'a Engine,
    m: tenant_move::Model,
    tenant: TenantId,
    from: Side,
    to: Side,
}

impl<'a> Mover<'a> {
    async fn new(engine: &'a Engine, m: tenant_move::Model) -> Result<Self> {
        let from = side(engine, &m.from_placement, m.from_location.clone()).await?;
        let to = side(engine, &m.to_placement, m.to_location.clone()).await?;
        Ok(Self {
            engine,
            tenant: TenantId::from_uuid(m.tenant),
            m,
            from,
            to,
        })
    }

    /// Closes the connections of its own the mover opened.
    async fn close(&self) {
        self.from.close().await;
        self.to.close().await;
    }

    fn switched(&self, tenant: &TenantRecord) -> bool {
        tenant.placement == self.to.placement && tenant.location == self.to.location
    }

    async fn step(&self, step: &str) -> Result<()> {
        set(self.engine, self.m.id, |m| {
            m.step = Set(step.into());
            m.error = Set(None);
        })
        .await
    }

    async fn drive(&self) -> Result<()> {
        let tenant = self
            .engine
            .record_by_id(self.tenant)
            .await?
            .ok_or(Error::NotFound)?;
        if !self.switched(&tenant) {
            self.step("provisioning").await?;
            self.provision_target().await?;
            failpoint::hit("move:provisioned");
            self.step("copying").await?;
            self.copy().await?;
            failpoint::hit("move:copied");
            self.step("catching_up").await?;
            for _ in 0..3 {
                if self.sync(None).await? == 0 {
                    break;
                }
            }
            failpoint::hit("move:caught_up");
            self.freeze_and_switch().await?;
        } else if self.from.exists(self.engine).await? {
            // Resumed after the switch: make sure the source is fenced.
            let txn = self.from.begin(self.tenant, false).await?;
            fence(&txn, self.tenant).await?;
            txn.commit().await?;
        }
        failpoint::hit("move:fenced");
        self.step("cleaning").await?;
        if self.from.exists(self.engine).await? {
            self.remove_side(&self.from, true).await?;
        }
        failpoint::hit("move:cleaned");
        set(self.engine, self.m.id, |m| {
            m.step = Set("done".into());
            m.finished_at = Set(Some(chrono::Utc::now()));
        })
        .await?;
        let detail = format!(
            "{} -> {}",
            self.from.placement.as_str(),
            self.to.placement.as_str()
        );
        audit::record(
            self.engine,
            "mover",
            "tenant.moved",
            Some(self.tenant),
            &detail,
        )
        .await?;
        Ok(())
    }

    /// A fresh, empty target (a leftover of an earlier attempt is replaced).
    async fn provision_target(&self) -> Result<()> {
        self.engine
            .provision(self.tenant, self.to.placement, self.to.location.as_deref())
            .await?;
        // A copy of the current template: the new unit is at the latest version.
        let platform = self.engine.platform(SCOPE).await?;
        fleet::record_provisioned(
            &platform,
            self.tenant,
            self.to.placement,
            self.to.location.as_deref(),
        )
        .await?;
        platform.commit().await?;
        if self.to.placement == Placement::Pool {
            let txn = self.to.begin(self.tenant, false).await?;
            delete_tenant_rows(&txn).await?;
            tenant_statement(
                &txn,
                "DELETE FROM public.tenant_fences WHERE tenant = $1",
                self.tenant,
            )
            .await?;
            txn.commit().await?;
        }
        Ok(())
    }

    /// Copies every row from one snapshot of the source.
    async fn copy(&self) -> Result<()> {
        let source = self.from.begin(self.tenant, true).await?;
        let target = self.to.begin(self.tenant, false).await?;
        let mut total = 0;
        for table in TENANT_TABLES {
            total += count(&source, table).await?;
        }
        set(self.engine, self.m.id, |m| m.rows_total = Set(total)).await?;
        let mut copied = 0;
        for table in TENANT_TABLES {
            let rows = row_json(&source, table, None).await?;
            for chunk in rows.chunks(BATCH) {
                insert_rows(&target, table, chunk, "").await?;
                copied += chunk.len() as i64;
                set(self.engine, self.m.id, |m| m.rows_copied = Set(copied)).await?;
            }
        }
        target.commit().await?;
        source.commit().await?;
        Ok(())
    }

    /// Brings the target level with the source; returns the rows changed. With
    /// `source_txn` it reads the source through that (frozen) transaction.
    async fn sync(&self, source_txn: Option<&DatabaseTransaction>) -> Result<usize> {
        let own_source;
        let source = match source_txn {
            Some(txn) => txn,
            None => {
                // One snapshot, so parents and children are read consistently.
                own_source = self.from.begin(self.tenant, true).await?;
                &own_source
            }
        };
        let target = self.to.begin(self.tenant, false).await?;
        let mut diffs = Vec::new();
        for table in TENANT_TABLES {
            let (s, t) = tokio::try_join!(checksum(source, table), checksum(&target, table))?;
            if s == t {
                continue;
            }
            let keys = primary_key(&target, table).await?;
            let (s_rows, t_rows) = tokio::try_join!(
                row_hashes(source, table, &keys),
                row_hashes(&target, table, &keys)
            )?;
            let upserts: Vec<String> = s_rows
                .iter()
                .filter(|(k, h)| t_rows.get(*k) != Some(*h))
                .map(|(k, _)| k.clone())
                .collect();
            let deletes: Vec<String> = t_rows
                .keys()
                .filter(|k| !s_rows.contains_key(*k))
                .cloned()
                .collect();
            diffs.push((table, keys, upserts, deletes));
        }
        // Deletions first, children first (a parent's cascade then finds
        // nothing left, and a freed unique value can be taken again); then
        // upserts, parents first.
        for (table, keys, _, deletes) in diffs.iter().rev() {
            if !deletes.is_empty() {
                delete_rows(&target, table, keys, deletes).await?;
            }
        }
        let mut changed = 0;
        for (table, keys, upserts, deletes) in &diffs {
            changed += upserts.len() + deletes.len();
            if upserts.is_empty() {
                continue;
            }
            let rows = row_json(source, table, Some((keys, upserts))).await?;
            let conflict = upsert_clause(&target, table, keys).await?;
            for chunk in rows.chunks(BATCH) {
                insert_rows(&target, table, chunk, &conflict).await?;
            }
        }
        target.commit().await?;
        Ok(changed)
    }

    /// The write freeze: lock out writers, sync the last changes, verify,
    /// switch the catalog and fence the source.
    async fn freeze_and_switch(&self) -> Result<()> {
        // Recorded before the lock: while it is held, writers waiting on it
        // may occupy the runtime pool, so the freeze uses owner connections only.
        self.step("frozen").await?;
        let frozen = self.from.begin(self.tenant, false).await?;
        // New writers queue from the moment the lock is requested.
        let started = Instant::now();
        tenant_statement(&frozen, WRITER_LOCK, self.tenant).await?;
        self.sync(Some(&frozen)).await?;
        self.verify(&frozen).await?;
        failpoint::hit("move:frozen");
        let same_database = self.from.placement != Placement::Database;
        if same_database {
            // Catalog and source share a database: switch and fence atomically.
            switch_catalog(&frozen, self.tenant, &self.to, self.m.id).await?;
            fence(&frozen, self.tenant).await?;
            frozen.commit().await?;
        } else {
            let catalog = self.engine.owner_for_ddl().await?.begin().await?;
            switch_catalog(&catalog, self.tenant, &self.to, self.m.id).await?;
            catalog.commit().await?;
            failpoint::hit("move:switched");
            fence(&frozen, self.tenant).await?;
            frozen.commit().await?;
        }
        self.engine.tenant_changed(self.tenant);
        let freeze_ms = started.elapsed().as_millis() as i64;
        tracing::info!(tenant_id = %self.tenant, freeze_ms, "tenant switched placement");
        set(self.engine, self.m.id, |m| {
            m.freeze_ms = Set(Some(freeze_ms))
        })
        .await
    }

    /// Row counts and checksums per table must agree on both sides.
    async fn verify(&self, source: &DatabaseTransaction) -> Result<()> {
        let target = self.to.begin(self.tenant, false).await?;
        for table in TENANT_TABLES {
            let (s, t) = tokio::try_join!(checksum(source, table), checksum(&target, table))?;
            if s != t {
                return Err(anyhow::anyhow!(
                    "verification failed for {table}: source has {} rows (checksum {}), target {} rows (checksum {}); nothing was switched",
                    s.0, s.1, t.0, t.1
                )
                .into());
            }
        }
        target.commit().await?;
        Ok(())
    }

    /// Removes one side's copy of the tenant: its rows in the pool, or its
    /// schema or database. With `barrier`, it first waits for readers that
    /// started before the switch (a target that never served needs none).
    async fn remove_side(&self, side: &Side, barrier: bool) -> Result<()> {
        if barrier {
            let txn = side.begin(self.tenant, false).await?;
            tenant_statement(&txn, READER_BARRIER, self.tenant).await?;
            txn.commit().await?;
        }
        match (side.placement, side.location.as_deref()) {
            (Placement::Schema, Some(schema)) => {
                postgres::drop_schema(self.engine.owner_for_ddl().await?, schema).await?
            }
            (Placement::Database, Some(database)) => {
                side.close().await;
                self.engine.drop_tenant_database(database).await?
            }
            _ => {
                let txn = side.begin(self.tenant, false).await?;
                delete_tenant_rows(&txn).await?;
                txn.commit().await?;
            }
        }
        let platform = self.engine.platform(SCOPE).await?;
        fleet::forget(
            &platform,
            side.placement,
            side.location.as_deref(),
            self.tenant,
        )
        .await?;
        platform.commit().await
    }
}

/// One end of a move, with an owner connection to the database holding it:
/// the catalog database for pool and schema, a pool of its own for a tenant
/// database.
async fn side(engine: &Engine, placement: &str, location: Option<String>) -> Result<Side> {
    let placement = Placement::parse(placement)
        .ok_or_else(|| anyhow::anyhow!("unknown placement {placement:?} in a move"))?;
    let owner = engine.owner_for_ddl().await?;
    let (conn, owner_url) = match (placement, location.as_deref()) {
        (Placement::Database, Some(database)) => (
            tokio::sync::OnceCell::new(),
            engine.settings().owner_url_for(database),
        ),
        _ => (
            tokio::sync::OnceCell::new_with(Some(owner.clone())),
            engine.settings().owner_url(),
        ),
    };
    Ok(Side {
        placement,
        location,
        conn,
        owner_url,
    })
}

async fn switch_catalog<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    to: &Side,
    move_id: uuid::Uuid,
) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE public.tenants SET placement = $2, location = $3, updated_at = now() WHERE id = $1",
        [
            tenant.uuid().into(),
            to.placement.as_str().into(),
            to.location.clone().into(),
        ],
    ))
    .await?;
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE public.tenant_moves SET step = 'switched', updated_at = now() WHERE id = $1",
        [move_id.into()],
    ))
    .await?;
    Ok(())
}

/// Marks the tenant as gone from this side (`tenant_fences` in the bound
/// schema).
async fn fence(txn: &DatabaseTransaction, tenant: TenantId) -> Result<()> {
    tenant_statement(
        txn,
        "INSERT INTO tenant_fences (tenant, moved_at) VALUES ($1, now()) ON CONFLICT (tenant) DO NOTHING",
        tenant,
    )
    .await
}

/// The tenant's writer lock, taken exclusively for the write freeze (writers
/// hold it shared, see `tenantry_enter`).
const WRITER_LOCK: &str = "SELECT pg_advisory_xact_lock(1, hashtext($1::text))";
/// The readers' lock, taken exclusively and released at once: returns when
/// every read that began before has ended.
const READER_BARRIER: &str = "SELECT pg_advisory_xact_lock(2, hashtext($1::text))";

/// Runs a statement whose one parameter is the tenant id.
async fn tenant_statement<C: ConnectionTrait>(conn: &C, sql: &str, tenant: TenantId) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [tenant.uuid().into()],
    ))
    .await?;
    Ok(())
}

async fn count<C: ConnectionTrait>(conn: &C, table: &str) -> Result<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT count(*)::bigint AS n FROM {table}"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("count returned no row"))?;
    Ok(row.try_get("", "n")?)
}

/// Row count and an order-independent checksum of every row's JSON.
async fn checksum<C: ConnectionTrait>(conn: &C, table: &str) -> Result<(i64, String)> {
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT count(*)::bigint AS n,
                        coalesce(sum(hashtextextended(row_to_json(t)::text, 0)::numeric), 0)::text AS s
                 FROM {table} t"
            ),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("checksum returned no row"))?;
    Ok((row.try_get("", "n")?, row.try_get("", "s")?))
}

/// Primary-key columns of a table, in key order.
async fn primary_key<C: ConnectionTrait>(conn: &C, table: &str) -> Result<Vec<String>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.attname::text AS c FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE i.indrelid = $1::regclass AND i.indisprimary
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [(*table).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get("", "c")?)).collect()
}

/// A list of keys, passed as one JSON array parameter.
const KEYS_PARAM: &str = "(SELECT json_array_elements_text($1::json))";

fn json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

fn key_expr(keys: &[String]) -> String {
    let cols: Vec<String> = keys
        .iter()
        .map(|k| format!("t.{}", postgres::quote_ident(k)))
        .collect();
    format!("json_build_array({})::text", cols.join(", "))
}

/// Key → hash of the row, for every row.
async fn row_hashes<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    keys: &[String],
) -> Result<HashMap<String, String>> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT {} AS k, md5(row_to_json(t)::text) AS h FROM {table} t",
                key_expr(keys)
            ),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "k")?, r.try_get("", "h")?)))
        .collect()
}

/// Rows as JSON, all of them or those with the given keys.
async fn row_json<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    only: Option<(&[String], &[String])>,
) -> Result<Vec<String>> {
    let stmt = match only {
        None => Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT row_to_json(t)::text AS r FROM {table} t"),
        ),
        Some((keys, wanted)) => Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT row_to_json(t)::text AS r FROM {table} t WHERE {} IN {KEYS_PARAM}",
                key_expr(keys)
            ),
            [json_list(wanted).into()],
        ),
    };
    let rows = conn.query_all_raw(stmt).await?;
    rows.iter().map(|r| Ok(r.try_get("", "r")?)).collect()
}

/// Inserts rows given as JSON objects; with `upsert_on`, existing rows with
/// the same key are overwritten.
async fn insert_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    rows: &[String],
    conflict: &str,
) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, $1::json){conflict}"),
        [format!("[{}]", rows.join(",")).into()],
    ))
    .await?;
    Ok(())
}

/// ` ON CONFLICT (keys) DO UPDATE SET …`: rows already there are overwritten.
async fn upsert_clause<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    keys: &[String],
) -> Result<String> {
    let updates: Vec<String> = columns(conn, table)
        .await?
        .iter()
        .filter(|c| !keys.contains(c))
        .map(|c| format!("{0} = EXCLUDED.{0}", postgres::quote_ident(c)))
        .collect();
    let key_list: Vec<String> = keys.iter().map(|k| postgres::quote_ident(k)).collect();
    Ok(match updates.is_empty() {
        true => format!(" ON CONFLICT ({}) DO NOTHING", key_list.join(", ")),
        false => format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            key_list.join(", "),
            updates.join(", ")
        ),
    })
}

async fn delete_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    keys: &[String],
    doomed: &[String],
) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "DELETE FROM {table} t WHERE {} IN {KEYS_PARAM}",
            key_expr(keys)
        ),
        [json_list(doomed).into()],
    ))
    .await?;
    Ok(())
}

async fn columns<C: ConnectionTrait>(conn: &C, table: &str) -> Result<Vec<String>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT attname::text AS c FROM pg_attribute
             WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [(*table).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get("", "c")?)).collect()
}
