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

/// What the platform's signature of an archive's `manifest.json` is for.
pub const MANIFEST_SIGNATURE: &str = "export-manifest";

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
    // A blind index is the tenant's key's digest: meaningless anywhere
    // else, and made again when the row is restored.
    "email_index",
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
    let keys = ctx.keys().await?;
    let bytes = engine.storage().of(&ctx).archive(&keys, row.id).await?;
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

pub mod archive;
mod produce;
mod progress;

use produce::produce;

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
