//! The mover: one end of a move (`Side`) and the steps that carry a move
//! from its recorded step to its end (`Mover::drive`), with the catalog
//! switch, the fence and the locks that hold writers off. About 440 lines:
//! the steps read best in one place, in the order they run.

use super::rows::*;
use super::*;

/// One end of a move.
pub(super) struct Side {
    placement: Placement,
    location: Option<String>,
    /// `None`: the home cluster.
    cluster: Option<String>,
    /// Owner connection to the database holding this side; opened on first
    /// use, since a target database exists only once provisioned.
    conn: tokio::sync::OnceCell<DatabaseConnection>,
    owner_url: String,
}

impl Side {
    pub(super) async fn conn(&self) -> Result<&DatabaseConnection> {
        self.conn
            .get_or_try_init(|| connect_pool(&self.owner_url, Backend::Postgres, 3))
            .await
    }

    /// Whether this side's schema or database exists (the pool always does).
    pub(super) async fn exists(&self, engine: &Engine) -> Result<bool> {
        let owner = engine.owner_on(self.cluster.as_deref()).await?;
        Ok(match (self.placement, self.location.as_deref()) {
            (Placement::Schema, Some(schema)) => postgres::schema_exists(owner, schema).await?,
            (Placement::Database, Some(db)) => postgres::database_exists(owner, db).await?,
            _ => true,
        })
    }

    /// Closes a connection of its own (a tenant database's).
    pub(super) async fn close(&self) {
        if self.placement == Placement::Database {
            if let Some(conn) = self.conn.get() {
                let _ = conn.clone().close().await;
            }
        }
    }

    pub(super) fn schema(&self) -> &str {
        match (self.placement, &self.location) {
            (Placement::Schema, Some(schema)) => schema,
            _ => "public",
        }
    }

    /// A transaction on this side, bound to the tenant (the owner is subject to
    /// row-level security too).
    pub(super) async fn begin(
        &self,
        tenant: TenantId,
        snapshot: bool,
    ) -> Result<DatabaseTransaction> {
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

pub(super) struct Mover<'a> {
    engine: &'a Engine,
    m: tenant_move::Model,
    tenant: TenantId,
    from: Side,
    pub(super) to: Side,
}

impl<'a> Mover<'a> {
    pub(super) async fn new(engine: &'a Engine, m: tenant_move::Model) -> Result<Self> {
        let from = side(
            engine,
            &m.from_placement,
            m.from_location.clone(),
            m.from_cluster.clone(),
        )
        .await?;
        let to = side(
            engine,
            &m.to_placement,
            m.to_location.clone(),
            m.to_cluster.clone(),
        )
        .await?;
        Ok(Self {
            engine,
            tenant: TenantId::from_uuid(m.tenant),
            m,
            from,
            to,
        })
    }

    /// Closes the connections of its own the mover opened.
    pub(super) async fn close(&self) {
        self.from.close().await;
        self.to.close().await;
    }

    pub(super) fn switched(&self, tenant: &TenantRecord) -> bool {
        tenant.placement == self.to.placement
            && tenant.location == self.to.location
            && tenant.cluster == self.to.cluster
    }

    pub(super) async fn step(&self, step: &str) -> Result<()> {
        set(self.engine, self.m.id, |m| {
            m.step = Set(step.into());
            m.error = Set(None);
        })
        .await
    }

    pub(super) async fn drive(&self) -> Result<()> {
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
        let clusters = self.engine.clusters();
        let detail = format!(
            "{}@{} -> {}@{}",
            self.from.placement.as_str(),
            clusters.name_of(self.from.cluster.as_deref()),
            self.to.placement.as_str(),
            clusters.name_of(self.to.cluster.as_deref()),
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
    pub(super) async fn provision_target(&self) -> Result<()> {
        self.engine
            .provision(
                self.tenant,
                self.to.placement,
                self.to.location.as_deref(),
                self.to.cluster.as_deref(),
            )
            .await?;
        // A copy of the current template: the new unit is at the latest version.
        let platform = self.engine.platform(SCOPE).await?;
        fleet::record_provisioned(
            &platform,
            self.tenant,
            self.to.placement,
            self.to.location.as_deref(),
            self.to.cluster.as_deref(),
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
    pub(super) async fn copy(&self) -> Result<()> {
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
    pub(super) async fn sync(&self, source_txn: Option<&DatabaseTransaction>) -> Result<usize> {
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
    pub(super) async fn freeze_and_switch(&self) -> Result<()> {
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
        let same_database =
            self.from.placement != Placement::Database && self.from.cluster.is_none();
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
    pub(super) async fn verify(&self, source: &DatabaseTransaction) -> Result<()> {
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
    pub(super) async fn remove_side(&self, side: &Side, barrier: bool) -> Result<()> {
        if barrier {
            let txn = side.begin(self.tenant, false).await?;
            tenant_statement(&txn, READER_BARRIER, self.tenant).await?;
            txn.commit().await?;
        }
        match (side.placement, side.location.as_deref()) {
            (Placement::Schema, Some(schema)) => {
                let owner = self.engine.owner_on(side.cluster.as_deref()).await?;
                postgres::drop_schema(owner, schema).await?
            }
            (Placement::Database, Some(database)) => {
                side.close().await;
                self.engine
                    .drop_tenant_database(side.cluster.as_deref(), database)
                    .await?
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
            side.cluster.as_deref(),
        )
        .await?;
        platform.commit().await
    }
}

/// One end of a move, with an owner connection to the database holding it:
/// its cluster's shared database for pool and schema (the catalog's, on the
/// home cluster), a pool of its own for a tenant database.
pub(super) async fn side(
    engine: &Engine,
    placement: &str,
    location: Option<String>,
    cluster: Option<String>,
) -> Result<Side> {
    let placement = Placement::parse(placement)
        .ok_or_else(|| anyhow::anyhow!("unknown placement {placement:?} in a move"))?;
    let on = cluster.as_deref();
    let (conn, owner_url) = match (placement, location.as_deref()) {
        (Placement::Database, Some(database)) => (
            tokio::sync::OnceCell::new(),
            engine.owner_url_on(on, database)?,
        ),
        _ => (
            tokio::sync::OnceCell::new_with(Some(engine.owner_on(on).await?.clone())),
            engine.shared_owner_url(on)?,
        ),
    };
    Ok(Side {
        placement,
        location,
        cluster,
        conn,
        owner_url,
    })
}

pub(super) async fn switch_catalog<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    to: &Side,
    move_id: uuid::Uuid,
) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE public.tenants SET placement = $2, location = $3, cluster = $4, updated_at = now() WHERE id = $1",
        [
            tenant.uuid().into(),
            to.placement.as_str().into(),
            to.location.clone().into(),
            to.cluster.clone().into(),
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
pub(super) async fn fence(txn: &DatabaseTransaction, tenant: TenantId) -> Result<()> {
    tenant_statement(
        txn,
        "INSERT INTO tenant_fences (tenant, moved_at) VALUES ($1, now()) ON CONFLICT (tenant) DO NOTHING",
        tenant,
    )
    .await
}

/// The tenant's writer lock, taken exclusively for the write freeze (writers
/// hold it shared, see `tenantry_enter`).
pub(super) const WRITER_LOCK: &str = "SELECT pg_advisory_xact_lock(1, hashtext($1::text))";
/// The readers' lock, taken exclusively and released at once: returns when
/// every read that began before has ended.
pub(super) const READER_BARRIER: &str = "SELECT pg_advisory_xact_lock(2, hashtext($1::text))";

/// Runs a statement whose one parameter is the tenant id.
pub(super) async fn tenant_statement<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    tenant: TenantId,
) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [tenant.uuid().into()],
    ))
    .await?;
    Ok(())
}
