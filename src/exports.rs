//! Tenant data exports: a tar archive with one JSON Lines file per
//! tenant-plane table (`tables/<table>.jsonl`), the tenant's uploaded files
//! (`files/…`: logo, favicon) and `manifest.json` with each table's row
//! count and each file's SHA-256. Produced in the background with progress,
//! read through the tenant's own bound transaction, downloadable by that
//! tenant's admins only, removed when it expires. See `docs/exports.md`.

use crate::audit;
use crate::entities::tenant::tenant_export;
use crate::error::{Error, Result};
use crate::jobs::{self, JobRun, NewJob, TenantJob};
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{Engine, TenantCtx, TenantRecord};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tenantry_vocab::ExportState;

pub const QUEUED: &str = ExportState::Queued.as_str();
pub const RUNNING: &str = ExportState::Running.as_str();
pub const DONE: &str = ExportState::Done.as_str();
pub const FAILED: &str = ExportState::Failed.as_str();
pub const EXPIRED: &str = ExportState::Expired.as_str();

/// Columns no export carries: credentials and their digests, the sealed SSO
/// client secret, webhook signing secrets, and mail bodies (a queued message
/// holds a single-use link of one member, which the exporting admin must not
/// get).
const REDACTED_COLUMNS: &[&str] = &[
    "password_hash",
    "secret_hash",
    "token_hash",
    "client_secret_sealed",
    "secret",
    "previous_secret",
    "text_body",
    "html_body",
    // A certificate's private key (sealed).
    "key_sealed",
];

/// Writes `rows` of `table` to `<dir>/<table>.jsonl` in the archive; its
/// manifest entry.
fn archive_table(
    archive: &mut tar::Builder<Vec<u8>>,
    dir: &str,
    table: &str,
    rows: &[sea_orm::JsonValue],
) -> Result<TableEntry> {
    let body = json_lines(rows);
    let file = format!("{dir}/{table}.jsonl");
    append(archive, &file, body.as_bytes())?;
    Ok(TableEntry {
        name: table.to_owned(),
        file,
        rows: rows.len() as u64,
        sha256: hex::encode(Sha256::digest(body.as_bytes())),
    })
}

/// One JSON object per line, the redacted columns left out.
fn json_lines(rows: &[sea_orm::JsonValue]) -> String {
    let mut body = String::new();
    for mut row in rows.iter().cloned() {
        if let Some(object) = row.as_object_mut() {
            for column in REDACTED_COLUMNS {
                object.remove(*column);
            }
        }
        body.push_str(&row.to_string());
        body.push('\n');
    }
    body
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportView {
    pub id: uuid::Uuid,
    pub state: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn view(row: tenant_export::Model) -> ExportView {
    ExportView {
        id: row.id,
        state: row.state,
        rows_total: row.rows_total,
        rows_done: row.rows_done,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        error: row.error,
        created_at: row.created_at,
        finished_at: row.finished_at,
        expires_at: row.expires_at,
    }
}

/// Produces export `export` of the job's tenant: the job [`request`]
/// enqueues with the export's row. A run that stopped part-way (its
/// instance died) is run again from the start: the archive is stored whole
/// in the tenant's object storage, under the export's id, so it exists
/// once. On its last failed attempt the export is marked failed.
#[derive(Serialize, Deserialize)]
pub struct ProduceExport {
    pub export: uuid::Uuid,
}

impl TenantJob for ProduceExport {
    const KIND: &'static str = "export.produce";
    const MAX_ATTEMPTS: i32 = 3;
    // A superadmin exports a suspended tenant too.
    const WHILE_SUSPENDED: bool = true;

    async fn run(self, ctx: &TenantCtx, run: &JobRun) -> Result<()> {
        let produced = produce(ctx, self.export).await;
        if produced.is_err() {
            progress::done(ctx, self.export).await;
            if run.is_last() {
                finish_failed(ctx, self.export).await?;
            }
        }
        produced
    }
}

/// Queues an export; the job runner produces it. One at a time per tenant.
pub async fn request(engine: &Engine, tenant: &TenantRecord, actor: &str) -> Result<ExportView> {
    let ctx = engine.ctx(tenant.clone());
    let (row, job) = ctx
        .run_for_platform(async |db| {
            let busy = tenant_export::Entity::find()
                .filter(tenant_export::Column::State.is_in([QUEUED, RUNNING]))
                .one(db)
                .await?;
            if busy.is_some() {
                return Err(Error::conflict(
                    "export",
                    "an export is already being produced; wait for it to finish",
                ));
            }
            let row = db
                .insert(tenant_export::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    state: Set(QUEUED.into()),
                    requested_by: Set(actor.to_owned()),
                    rows_total: Set(0),
                    rows_done: Set(0),
                    size_bytes: Set(None),
                    sha256: Set(None),
                    error: Set(None),
                    created_at: Set(chrono::Utc::now()),
                    finished_at: Set(None),
                    expires_at: Set(None),
                    ..Default::default()
                })
                .await?;
            // Written with the row: an export exists exactly when its job does.
            let job = NewJob::new(&ctx, ProduceExport { export: row.id })
                .once(format!("export:{}", row.id));
            let job = jobs::enqueue_in(db, job).await?;
            Ok((row, job))
        })
        .await?;
    job.announce(&ctx).await?;
    audit::record(
        engine,
        actor,
        "tenant.export_requested",
        Some(tenant.id),
        "",
    )
    .await?;
    Ok(view(row))
}

pub async fn list(engine: &Engine, tenant: &TenantRecord) -> Result<Vec<ExportView>> {
    let ctx = engine.ctx(tenant.clone());
    let rows = ctx
        .run(false, async |db| {
            Ok(tenant_export::Entity::find()
                .order_by_desc(tenant_export::Column::CreatedAt)
                .limit(20)
                .all(db)
                .await?)
        })
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let mut view = view(row);
        if view.state == RUNNING {
            if let Some((total, done)) = progress::of(&ctx, view.id).await {
                (view.rows_total, view.rows_done) = (total, done);
            }
        }
        views.push(view);
    }
    Ok(views)
}

/// The archive of the tenant's finished, unexpired export `id`: its bytes
/// and a file name for the download. Anything else is not found.
pub async fn archive(
    engine: &Engine,
    tenant: &TenantRecord,
    id: uuid::Uuid,
) -> Result<(Vec<u8>, String)> {
    let ctx = engine.ctx(tenant.clone());
    let row = ctx
        .run(false, async |db| {
            Ok(tenant_export::Entity::find()
                .filter(tenant_export::Column::Id.eq(id))
                .one(db)
                .await?)
        })
        .await?
        .filter(|row| row.state == DONE)
        .filter(|row| row.expires_at.is_some_and(|at| at > chrono::Utc::now()))
        .ok_or(Error::NotFound)?;
    let name = format!(
        "{}-export-{}.tar",
        tenant.slug,
        row.created_at.format("%Y%m%d-%H%M%S")
    );
    let bytes = engine.storage().of(&ctx).archive(row.id).await?;
    Ok((bytes.ok_or(Error::NotFound)?, name))
}

async fn set_state(ctx: &TenantCtx, id: uuid::Uuid, state: &str, total: i64) -> Result<()> {
    ctx.run_for_platform(async |db| {
        tenant_export::Entity::update_many()
            .col_expr(tenant_export::Column::State, state.into())
            .col_expr(tenant_export::Column::RowsTotal, total.into())
            .filter(tenant_export::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    })
    .await
}

async fn finish_failed(ctx: &TenantCtx, id: uuid::Uuid) -> Result<()> {
    progress::done(ctx, id).await;
    ctx.run_for_platform(async |db| {
        tenant_export::Entity::update_many()
            .col_expr(tenant_export::Column::State, FAILED.into())
            .col_expr(
                tenant_export::Column::Error,
                Some("the export could not be produced; please try again").into(),
            )
            .col_expr(
                tenant_export::Column::FinishedAt,
                Some(chrono::Utc::now()).into(),
            )
            .filter(tenant_export::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    })
    .await
}

/// Rows read so far by an export being produced. The read runs in one
/// transaction of the tenant (a consistent snapshot), and an embedded
/// tenant's file has a single connection, so progress is kept in the tenant's
/// cache while it runs (shared by every instance when Redis is configured)
/// and written to the export's row when it ends.
mod progress {
    use crate::cache::CacheKey;
    use crate::tenancy::TenantCtx;
    use std::time::Duration;

    /// Longer than any export runs; a crashed one's progress goes by itself.
    const KEPT: Duration = Duration::from_secs(3600);

    fn key(ctx: &TenantCtx, id: uuid::Uuid) -> CacheKey {
        CacheKey::tenant(ctx, "export.progress", id)
    }

    pub(super) async fn set(ctx: &TenantCtx, id: uuid::Uuid, total: i64, done: i64) {
        ctx.engine()
            .cache()
            .put(&key(ctx, id), &(total, done), KEPT)
            .await;
    }

    pub(super) async fn of(ctx: &TenantCtx, id: uuid::Uuid) -> Option<(i64, i64)> {
        ctx.engine().cache().get(&key(ctx, id)).await
    }

    pub(super) async fn done(ctx: &TenantCtx, id: uuid::Uuid) {
        ctx.engine().cache().forget(&key(ctx, id)).await;
    }
}

#[derive(Serialize)]
struct TableEntry {
    name: String,
    file: String,
    rows: u64,
    sha256: String,
}

/// Reads every tenant-plane table in the tenant's own read transaction and
/// stores the archive in the tenant's object storage (whole, so a
/// half-written archive is never served).
async fn produce(ctx: &TenantCtx, id: uuid::Uuid) -> Result<()> {
    let (engine, tenant) = (ctx.engine(), ctx.tenant());
    let counts = engine.tenant_plane_rows(tenant).await?;
    let total: i64 = counts
        .iter()
        .map(|(_, n)| i64::try_from(*n).unwrap_or(0))
        .sum();
    set_state(ctx, id, RUNNING, total).await?;
    progress::set(ctx, id, total, 0).await;

    let db = ctx.read().await?;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&db);
    let mut archive = tar::Builder::new(Vec::new());
    let mut tables = Vec::new();
    let mut done = 0i64;
    for table in db.plane_tables().await? {
        let sql = format!("SELECT * FROM {table} ORDER BY 1, 2");
        let rows = sea_orm::JsonValue::find_by_statement(Statement::from_string(backend, sql))
            .all(&db)
            .await?;
        tables.push(archive_table(&mut archive, "tables", &table, &rows)?);
        done += i64::try_from(rows.len()).unwrap_or(0);
        progress::set(ctx, id, total.max(done), done).await;
    }
    db.commit().await?;
    // Its records the platform keeps in the catalog (branding, domains,
    // invoices, plan history, quota counters…), in its own bound
    // transaction there.
    let kept = ctx.records().await?;
    let mut records = Vec::new();
    for table in kept.record_tables().await? {
        let rows = kept.rows_of(&table).await?;
        records.push(archive_table(&mut archive, "records", &table, &rows)?);
    }
    kept.commit().await?;
    // The tenant's stored files (logo, favicon), from its own prefix.
    let mut files = Vec::new();
    for (key, bytes) in engine.storage().tenant(tenant.id).all().await? {
        let file = format!("files/{key}");
        append(&mut archive, &file, &bytes)?;
        files.push(serde_json::json!({
            "file": file,
            "bytes": bytes.len(),
            "sha256": hex::encode(Sha256::digest(&bytes)),
        }));
    }
    let manifest = serde_json::json!({
        "format": 1,
        "tenant": { "id": tenant.id.to_string(), "slug": tenant.slug.as_str(), "name": tenant.name },
        "export_id": id,
        "created_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "tables": tables,
        "records": records,
        "files": files,
    });
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(anyhow::Error::from)?;
    append(&mut archive, "manifest.json", &manifest)?;
    let bytes = archive.into_inner().map_err(anyhow::Error::from)?;

    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let sha256 = hex::encode(Sha256::digest(&bytes));
    engine.storage().of(ctx).put_archive(id, bytes).await?;

    let now = chrono::Utc::now();
    let ttl = chrono::Duration::hours(i64::from(engine.settings().export_ttl_hours));
    // Noted before the row says done, so an archive never outlives its
    // expiry unseen (a pass that finds nothing due looks again later).
    directory::work_due_now(engine, Queue::Exports, tenant.id).await?;
    ctx.run_for_platform(async |db| {
        tenant_export::Entity::update_many()
            .col_expr(tenant_export::Column::State, DONE.into())
            .col_expr(tenant_export::Column::RowsDone, done.into())
            .col_expr(tenant_export::Column::RowsTotal, done.into())
            .col_expr(tenant_export::Column::SizeBytes, Some(size).into())
            .col_expr(tenant_export::Column::Sha256, Some(sha256).into())
            .col_expr(tenant_export::Column::FinishedAt, Some(now).into())
            .col_expr(tenant_export::Column::ExpiresAt, Some(now + ttl).into())
            .filter(tenant_export::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    })
    .await?;
    progress::done(ctx, id).await;
    Ok(())
}

fn append(archive: &mut tar::Builder<Vec<u8>>, name: &str, body: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0));
    header.set_entry_type(tar::EntryType::Regular);
    archive
        .append_data(&mut header, name, body)
        .map_err(anyhow::Error::from)?;
    Ok(())
}

/// Deletes the archives of expired exports, visiting the tenants the
/// directory notes; returns how many.
pub async fn expire_due(engine: &Engine) -> Result<usize> {
    let now = chrono::Utc::now();
    directory::visit_due(engine, Queue::Exports, 50, |ctx| async move {
        expire_tenant(&ctx, now).await
    })
    .await
}

/// One tenant's expired archives; how many, and when the next one expires.
async fn expire_tenant(
    ctx: &TenantCtx,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(usize, Option<chrono::DateTime<chrono::Utc>>)> {
    let finished = ctx
        .run(false, async |db| {
            Ok(tenant_export::Entity::find()
                .filter(tenant_export::Column::State.eq(DONE))
                .all(db)
                .await?)
        })
        .await?;
    let (expired, kept): (Vec<_>, Vec<_>) = finished
        .into_iter()
        .partition(|row| row.expires_at.is_some_and(|at| at <= now));
    let objects = ctx.engine().storage().of(ctx);
    for row in &expired {
        objects.delete_archive(row.id).await?;
    }
    if !expired.is_empty() {
        ctx.run_for_platform(async |db| {
            tenant_export::Entity::update_many()
                .col_expr(tenant_export::Column::State, EXPIRED.into())
                .filter(tenant_export::Column::Id.is_in(expired.iter().map(|row| row.id)))
                .exec(db)
                .await?;
            Ok(())
        })
        .await?;
    }
    let next = kept.iter().filter_map(|row| row.expires_at).min();
    Ok((expired.len(), next))
}
