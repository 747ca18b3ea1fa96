//! Restoring a tenant from one of its export archives, and importing one
//! from outside. Both are checked in full before anything is written (an
//! archive against the platform's signature and its manifest's checksums;
//! every imported row against the tenant plane's columns), then run as a
//! background job ([`RestoreData`]) with progress, which replaces the
//! tenant's data in **one transaction** of the tenant: a failure leaves the
//! data as it was. Restores and imports are audited.
//!
//! What a restore writes and keeps is in [`KEPT`] and [`NOT_RESTORED`]; the
//! formats are in `docs/encryption.md`.

use crate::audit;
use crate::catalog::tenants::{self, NewTenant};
use crate::entities::tenant::tenant_restore as row;
use crate::error::{Error, Result};
use crate::exports::archive;
use crate::jobs::{self, JobRun, NewJob, TenantJob};
use crate::tenancy::{check_row, Engine, Slug, TenantCtx, TenantDb, TenantRecord};
use sea_orm::{EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

mod import;
pub use import::{dry_run, Import, ImportReport, TableReport};

/// Tables a restore neither clears nor writes: the tenant's audit log
/// (append-only: history is not rewritten, and the restore is in it) and
/// its operational state (its jobs, this restore itself, its exports and
/// key rotations, its outgoing platform events).
pub const KEPT: &[&str] = &[
    "audit_log",
    "jobs",
    "tenant_restores",
    "tenant_exports",
    "key_rotations",
    "platform_outbox",
];

/// Tables a restore clears but does not write: credentials and links, which
/// archives never hold (API keys, invitations, reset and verification
/// links, impersonations), queued mail (its bodies are not exported) and
/// webhook deliveries (restored, old ones would be sent again).
pub const NOT_RESTORED: &[&str] = &[
    "api_keys",
    "invitations",
    "password_resets",
    "email_verifications",
    "impersonations",
    "mail_outbox",
    "webhook_deliveries",
];

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Serialize)]
pub struct RestoreView {
    pub id: uuid::Uuid,
    pub tenant: String,
    pub kind: String,
    pub source: String,
    pub state: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub files_total: i64,
    pub files_done: i64,
    pub requested_by: String,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn view(tenant: &str, r: row::Model) -> RestoreView {
    RestoreView {
        id: r.id,
        tenant: tenant.to_owned(),
        kind: r.kind,
        source: r.source,
        state: r.state,
        rows_total: r.rows_total,
        rows_done: r.rows_done,
        files_total: r.files_total,
        files_done: r.files_done,
        requested_by: r.requested_by,
        error: r.error,
        created_at: r.created_at,
        finished_at: r.finished_at,
    }
}

/// What a restore or an import writes: each table's rows, and files.
pub(crate) struct Payload {
    pub tables: Vec<(String, Vec<Map<String, Json>>)>,
    pub files: Vec<(String, Vec<u8>)>,
}

async fn record_of(engine: &Engine, slug: &str) -> Result<TenantRecord> {
    let slug = Slug::parse(slug).map_err(|_| Error::NotFound)?;
    engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)
}

/// Replaces tenant `slug`'s data with the archive's, once `confirm` repeats
/// the slug. The archive must be this platform's, and intact.
pub async fn restore_replacing(
    engine: &Engine,
    slug: &str,
    archive: &[u8],
    confirm: &str,
    actor: &str,
) -> Result<RestoreView> {
    let record = record_of(engine, slug).await?;
    let opened = archive::open(engine, archive).await?;
    if confirm.trim() != record.slug.as_str() {
        return Err(Error::invalid(
            "confirm",
            "type the tenant's slug to replace its data with the archive's",
        ));
    }
    let source = format!("export of {} at {}", opened.tenant_slug, opened.created_at);
    queue(engine, &record, "restore", &source, archive, actor).await
}

/// Where an archive restored as a new tenant goes.
#[derive(Debug, Clone, Deserialize)]
pub struct NewTarget {
    pub slug: String,
    pub name: String,
    /// `pool`, `schema` or `database`; empty for the default.
    pub placement: String,
    /// Who is invited to own it (the archive's people come back too).
    pub owner_email: String,
}

/// Restores the archive as a new tenant, provisioned `pending` in the
/// placement asked for and made live when the restore is done.
pub async fn restore_as_new(
    engine: &Engine,
    archive: &[u8],
    target: NewTarget,
    actor: &str,
) -> Result<RestoreView> {
    let opened = archive::open(engine, archive).await?;
    let created = super::create(
        engine,
        NewTenant {
            slug: target.slug,
            name: target.name,
            admin_email: target.owner_email,
            admin_password: String::new(),
            placement: target.placement,
            region: String::new(),
            pending: true,
            plan: String::new(),
        },
        actor,
    )
    .await?;
    let record = record_of(engine, &created.slug).await?;
    let source = format!("export of {} at {}", opened.tenant_slug, opened.created_at);
    let queued = queue(engine, &record, "restore", &source, archive, actor).await;
    if queued.is_err() {
        // Nothing will fill the new tenant: it goes, as a failed
        // provisioning does, rather than stay pending and empty.
        super::provision::rollback_creation(engine, &record.slug).await;
    }
    queued
}

/// Imports `import` into tenant `slug` (replacing its data, after
/// `confirm`), refused with every bad row's reason when any row is bad.
pub async fn import(
    engine: &Engine,
    slug: &str,
    import: &Import,
    confirm: &str,
    actor: &str,
) -> Result<RestoreView> {
    let record = record_of(engine, slug).await?;
    let report = dry_run(engine, &record, import).await?;
    if !report.refused.is_empty() {
        return Err(Error::invalid(
            "import",
            format!(
                "{} problems, the first: {} (a dry run lists them all)",
                report.refused.len(),
                report.refused[0]
            ),
        ));
    }
    if confirm.trim() != record.slug.as_str() {
        return Err(Error::invalid(
            "confirm",
            "type the tenant's slug to replace its data with the import",
        ));
    }
    let source = format!("import {}", import.name);
    queue(
        engine,
        &record,
        "import",
        &source,
        &import.to_bytes()?,
        actor,
    )
    .await
}

/// Keeps the source sealed in the tenant's storage and queues the job with
/// its row, in one transaction.
async fn queue(
    engine: &Engine,
    record: &TenantRecord,
    kind: &str,
    source: &str,
    bytes: &[u8],
    actor: &str,
) -> Result<RestoreView> {
    let ctx = engine.ctx(record.clone());
    let busy = latest(&ctx)
        .await?
        .is_some_and(|r| r.state == QUEUED || r.state == RUNNING);
    if busy {
        return Err(Error::conflict("restore", "a restore is already under way"));
    }
    let id = uuid::Uuid::now_v7();
    let keys = ctx.keys().await?;
    engine
        .storage()
        .of(&ctx)
        .put_restore_source(&keys, id, bytes)
        .await?;
    let (saved, job) = ctx
        .run_for_platform(async |db| {
            let saved = db
                .insert(row::ActiveModel {
                    id: Set(id),
                    kind: Set(kind.to_owned()),
                    source: Set(source.to_owned()),
                    state: Set(QUEUED.into()),
                    rows_total: Set(0),
                    rows_done: Set(0),
                    files_total: Set(0),
                    files_done: Set(0),
                    requested_by: Set(actor.to_owned()),
                    error: Set(None),
                    created_at: Set(chrono::Utc::now()),
                    finished_at: Set(None),
                    ..Default::default()
                })
                .await?;
            let job = NewJob::new(&ctx, RestoreData { restore: id }).once(format!("restore:{id}"));
            Ok((saved, jobs::enqueue_in(db, job).await?))
        })
        .await?;
    job.announce(&ctx).await?;
    let detail = format!("{kind}: {source}");
    audit::record(
        engine,
        actor,
        "tenant.restore_started",
        Some(record.id),
        &detail,
    )
    .await?;
    Ok(view(record.slug.as_str(), saved))
}

/// The tenant's most recent restore or import.
pub async fn latest(ctx: &TenantCtx) -> Result<Option<RestoreView>> {
    let slug = ctx.tenant().slug.to_string();
    let found = ctx
        .run(false, async |db| {
            Ok(row::Entity::find()
                .order_by_desc(row::Column::CreatedAt)
                .one(db)
                .await?)
        })
        .await?;
    Ok(found.map(|r| view(&slug, r)))
}

/// [`latest`] by slug, with the rows written so far while it runs.
pub async fn status_by_slug(engine: &Engine, slug: &str) -> Result<Option<RestoreView>> {
    let ctx = engine.ctx(record_of(engine, slug).await?);
    let mut found = latest(&ctx).await?;
    if let Some(r) = found.as_mut().filter(|r| r.state == RUNNING) {
        if let Some(done) = progress_of(&ctx, r.id).await {
            r.rows_done = done;
        }
    }
    Ok(found)
}

fn progress_key(ctx: &TenantCtx, id: uuid::Uuid) -> crate::cache::CacheKey {
    crate::cache::CacheKey::tenant(ctx, "restore.progress", id)
}

async fn progress_of(ctx: &TenantCtx, id: uuid::Uuid) -> Option<i64> {
    ctx.engine().cache().get(&progress_key(ctx, id)).await
}

/// Writes a restore's or an import's data into its tenant.
#[derive(Serialize, Deserialize)]
pub struct RestoreData {
    pub restore: uuid::Uuid,
}

impl TenantJob for RestoreData {
    const KIND: &'static str = "data.restore";
    const MAX_ATTEMPTS: i32 = 3;
    const WHILE_SUSPENDED: bool = true;

    async fn run(self, ctx: &TenantCtx, run: &JobRun) -> Result<()> {
        let outcome = restore(ctx, self.restore).await;
        if let Err(e) = &outcome {
            tracing::warn!(tenant_id = %ctx.id(), error = ?e, "restore failed");
            if run.is_last() || matches!(e, Error::Invalid(_)) {
                let message = match e {
                    Error::Invalid(f) => format!("{}: {}", f.field, f.message),
                    _ => "the restore could not finish; the data is as it was".into(),
                };
                set(ctx, self.restore, |r| {
                    r.state = Set(FAILED.into());
                    r.error = Set(Some(message));
                    r.finished_at = Set(Some(chrono::Utc::now()));
                })
                .await?;
                ctx.engine()
                    .storage()
                    .of(ctx)
                    .delete_restore_source(self.restore)
                    .await?;
                // Refused input is final: not retried.
                return Ok(());
            }
        }
        outcome
    }
}

async fn restore(ctx: &TenantCtx, id: uuid::Uuid) -> Result<()> {
    let engine = ctx.engine();
    let Some(found) = super::progress_row::find::<row::Entity>(ctx, row::Column::Id, id).await?
    else {
        return Ok(());
    };
    if found.state == DONE || found.state == FAILED {
        return Ok(());
    }
    let keys = ctx.keys().await?;
    let objects = engine.storage().of(ctx);
    let bytes = objects
        .restore_source(&keys, id)
        .await?
        .ok_or_else(|| Error::invalid("archive", "its source is gone"))?;
    let payload = match found.kind.as_str() {
        "import" => Import::from_bytes(&bytes)?.payload(),
        _ => {
            let opened = archive::open(engine, &bytes).await?;
            Payload {
                tables: opened.tables,
                files: opened.files,
            }
        }
    };
    let rows_total: i64 = payload
        .tables
        .iter()
        .filter(|(t, _)| restored(t))
        .map(|(_, rows)| rows.len() as i64)
        .sum();
    let files_total = payload.files.len() as i64;
    set(ctx, id, |r| {
        r.state = Set(RUNNING.into());
        r.rows_total = Set(rows_total);
        r.files_total = Set(files_total);
    })
    .await?;
    let written = ctx
        .run_for_platform(async |db| replace_all(ctx, db, &keys, &payload, id).await)
        .await?;
    for (key, bytes) in &payload.files {
        objects.put_file(&keys, key, bytes).await?;
    }
    // A tenant made for the restore goes live with its data, before the
    // restore says it is done.
    if ctx.tenant().state == crate::tenancy::TenantState::Pending {
        tenants::activate(engine, ctx.tenant().slug.as_str(), "platform").await?;
    }
    set(ctx, id, |r| {
        r.state = Set(DONE.into());
        r.rows_done = Set(written);
        r.files_done = Set(files_total);
        r.finished_at = Set(Some(chrono::Utc::now()));
    })
    .await?;
    objects.delete_restore_source(id).await?;
    ctx.engine().cache().forget(&progress_key(ctx, id)).await;
    let detail = format!("{}: {written} rows, {files_total} files", found.source);
    audit::record(
        engine,
        &found.requested_by,
        "tenant.restored",
        Some(ctx.id()),
        &detail,
    )
    .await
}

/// Whether a restore writes `table`'s rows.
fn restored(table: &str) -> bool {
    !KEPT.contains(&table) && !NOT_RESTORED.contains(&table)
}

/// Clears the tenant's tables (children first) and writes the payload's
/// rows (parents first), in the one transaction `db`. Credentials the
/// archive does not hold are kept where the same row still exists (a
/// person's password, an endpoint's signing secret) and made unusable or
/// new otherwise.
async fn replace_all(
    ctx: &TenantCtx,
    db: &TenantDb,
    keys: &crate::tenancy::TenantKeys,
    payload: &Payload,
    id: uuid::Uuid,
) -> Result<i64> {
    let kept_credentials = credentials::read(db).await?;
    let order = db.plane_tables_in_order().await?;
    for table in order.iter().rev().filter(|t| !KEPT.contains(&t.as_str())) {
        db.clear_plane_table(table).await?;
    }
    let mut written = 0i64;
    for table in order.iter().filter(|t| restored(t)) {
        let Some((_, rows)) = payload.tables.iter().find(|(t, _)| t == table) else {
            continue;
        };
        let columns = db.plane_columns(table).await?;
        for (n, source) in rows.iter().enumerate() {
            let mut filled = source.clone();
            kept_credentials.fill(table, &mut filled, keys)?;
            let values = check_row(&columns, &filled).map_err(|problems| {
                Error::invalid(
                    "archive",
                    format!("{table} row {}: {}", n + 1, problems.join("; ")),
                )
            })?;
            db.insert_plane_row(table, &columns, values).await?;
            written += 1;
            if written % 200 == 0 {
                let key = progress_key(ctx, id);
                ctx.engine()
                    .cache()
                    .put(&key, &written, std::time::Duration::from_secs(3600))
                    .await;
            }
        }
    }
    Ok(written)
}

mod credentials;

async fn set(
    ctx: &TenantCtx,
    id: uuid::Uuid,
    change: impl FnOnce(&mut row::ActiveModel) + Send,
) -> Result<()> {
    super::progress_row::update::<row::Entity>(ctx, row::Column::Id, id, change).await
}
