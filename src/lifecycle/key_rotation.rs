//! Rotating a tenant's data key, online. [`start`] makes a new generation
//! in the keyring and queues [`RotateDataKey`] for when every instance has
//! had time to load it (two key-cache lifetimes: until then values are still
//! sealed with the old one, and both open). The job then seals again, with
//! the new generation, every sealed column value of the tenant and every
//! object it stores, recording its progress in `key_rotations`, and only
//! then destroys the old generations. Reads and writes go on throughout.

use crate::audit;
use crate::entities::tenant::key_rotation as row;
use crate::error::{Error, Result};
use crate::jobs::{self, JobRun, NewJob, TenantJob};
use crate::tenancy::keys::{is_sealed_text, SealedColumn, SEALED_COLUMNS};
use crate::tenancy::{Engine, Slug, TenantCtx, TenantKeys, TenantRecord};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Set, Statement};
use serde::{Deserialize, Serialize};

pub const WAITING: &str = "waiting";
pub const SEALING: &str = "sealing";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// A rotation as the console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RotationView {
    pub id: uuid::Uuid,
    pub generation: i32,
    pub state: String,
    pub values_total: i64,
    pub values_done: i64,
    pub objects_total: i64,
    pub objects_done: i64,
    pub requested_by: String,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<row::Model> for RotationView {
    fn from(r: row::Model) -> Self {
        Self {
            id: r.id,
            generation: r.generation,
            state: r.state,
            values_total: r.values_total,
            values_done: r.values_done,
            objects_total: r.objects_total,
            objects_done: r.objects_done,
            requested_by: r.requested_by,
            error: r.error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

/// Starts rotating the tenant's data key; one rotation at a time.
pub async fn start(engine: &Engine, tenant: &TenantRecord, actor: &str) -> Result<RotationView> {
    let ctx = engine.ctx(tenant.clone());
    if let Some(running) = latest(&ctx).await? {
        if running.state == WAITING || running.state == SEALING {
            return Err(Error::conflict(
                "key",
                "a key rotation is already under way; wait for it to finish",
            ));
        }
    }
    let (generation, settles_at) = engine.begin_key_rotation(tenant.id).await?;
    let (saved, job) = ctx
        .run_for_platform(async |db| {
            let saved = db
                .insert(row::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    generation: Set(generation),
                    state: Set(WAITING.into()),
                    values_total: Set(0),
                    values_done: Set(0),
                    objects_total: Set(0),
                    objects_done: Set(0),
                    requested_by: Set(actor.to_owned()),
                    error: Set(None),
                    created_at: Set(chrono::Utc::now()),
                    finished_at: Set(None),
                    ..Default::default()
                })
                .await?;
            let job = NewJob::new(&ctx, RotateDataKey { rotation: saved.id })
                .at(settles_at)
                .once(format!("key-rotation:{}", saved.id));
            Ok((saved, jobs::enqueue_in(db, job).await?))
        })
        .await?;
    job.announce(&ctx).await?;
    let detail = format!("generation {generation}");
    audit::record(
        engine,
        actor,
        "tenant.key_rotation_started",
        Some(tenant.id),
        &detail,
    )
    .await?;
    Ok(saved.into())
}

/// [`start`] for the tenant with this slug (the CLI, the console).
pub async fn start_by_slug(engine: &Engine, slug: &str, actor: &str) -> Result<RotationView> {
    start(engine, &record_of(engine, slug).await?, actor).await
}

/// Starts a rotation for every tenant that is not deleted and has none
/// under way: what seals, across the fleet, the personal data stored before
/// `encryption.personal_data` named its columns. How many rotations
/// started, and how many tenants had one under way already.
pub async fn start_for_every_tenant(engine: &Engine, actor: &str) -> Result<(usize, usize)> {
    let (mut started, mut under_way) = (0, 0);
    for tenant in crate::catalog::tenants::list(engine, "", None).await? {
        match start_by_slug(engine, &tenant.slug, actor).await {
            Ok(_) => started += 1,
            Err(Error::Conflict(_)) => under_way += 1,
            Err(e) => return Err(e),
        }
    }
    Ok((started, under_way))
}

async fn record_of(engine: &Engine, slug: &str) -> Result<TenantRecord> {
    let slug = Slug::parse(slug).map_err(|_| Error::NotFound)?;
    engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)
}

/// A tenant's data key as the console shows it: the generations the
/// keyring holds, the one new values are sealed with, the last rotation.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    pub generations: Vec<i32>,
    pub sealing: i32,
    pub latest: Option<RotationView>,
}

pub async fn status_by_slug(engine: &Engine, slug: &str) -> Result<KeyStatus> {
    let ctx = engine.ctx(record_of(engine, slug).await?);
    let keys = ctx.keys().await?;
    Ok(KeyStatus {
        generations: engine.key_generations(ctx.id()).await?,
        sealing: keys.sealing(),
        latest: latest(&ctx).await?,
    })
}

/// The tenant's most recent rotation, if any.
pub async fn latest(ctx: &TenantCtx) -> Result<Option<RotationView>> {
    Ok(ctx
        .run(false, async |db| {
            Ok(row::Entity::find()
                .order_by_desc(row::Column::CreatedAt)
                .one(db)
                .await?)
        })
        .await?
        .map(RotationView::from))
}

/// Seals the tenant's values and objects again with the new generation,
/// then destroys the old ones. Run again after a crash, it picks up what is
/// not sealed with the new generation yet.
#[derive(Serialize, Deserialize)]
pub struct RotateDataKey {
    pub rotation: uuid::Uuid,
}

impl TenantJob for RotateDataKey {
    const KIND: &'static str = "keys.rotate";
    const MAX_ATTEMPTS: i32 = 8;
    const WHILE_SUSPENDED: bool = true;

    async fn run(self, ctx: &TenantCtx, run: &JobRun) -> Result<()> {
        let done = rotate(ctx, self.rotation).await;
        if let Err(e) = &done {
            tracing::warn!(tenant_id = %ctx.id(), error = %e, "key rotation failed; retrying");
            if run.is_last() {
                set(ctx, self.rotation, |r| {
                    r.state = Set(FAILED.into());
                    r.error = Set(Some(
                        "the key rotation could not finish; start it again".into(),
                    ));
                    r.finished_at = Set(Some(chrono::Utc::now()));
                })
                .await?;
            }
        }
        done
    }
}

async fn rotate(ctx: &TenantCtx, rotation: uuid::Uuid) -> Result<()> {
    let engine = ctx.engine();
    let Some(found) =
        super::progress_row::find::<row::Entity>(ctx, row::Column::Id, rotation).await?
    else {
        return Ok(());
    };
    if found.state == DONE {
        return Ok(());
    }
    let keys = ctx.keys().await?;
    if keys.sealing() != found.generation {
        // Not every instance may know the new key yet: later (retried).
        return Err(Error::Unexpected(anyhow::anyhow!(
            "generation {} does not seal yet",
            found.generation
        )));
    }
    let objects = engine.storage().of(ctx);
    let stale = stale_values(ctx, &keys).await?;
    let objects_total = objects.count().await? as i64;
    let values_total = stale.iter().map(|(_, v)| v.len() as i64).sum::<i64>();
    set(ctx, rotation, |r| {
        r.state = Set(SEALING.into());
        r.values_total = Set(values_total);
        r.objects_total = Set(objects_total);
    })
    .await?;
    let mut done = 0i64;
    for (column, values) in stale {
        for value in values {
            reseal_value(ctx, &keys, column, value).await?;
            done += 1;
        }
        set(ctx, rotation, |r| r.values_done = Set(done)).await?;
    }
    objects.reseal_all(&keys).await?;
    set(ctx, rotation, |r| r.objects_done = Set(objects_total)).await?;
    let destroyed = engine
        .retire_key_generations(ctx.id(), found.generation)
        .await?;
    set(ctx, rotation, |r| {
        r.state = Set(DONE.into());
        r.finished_at = Set(Some(chrono::Utc::now()));
    })
    .await?;
    let detail = format!(
        "generation {}: {done} values and {objects_total} objects sealed again, {destroyed} old generations destroyed",
        found.generation
    );
    audit::record(
        engine,
        "platform",
        "tenant.key_rotated",
        Some(ctx.id()),
        &detail,
    )
    .await
}

/// A stored value a rotation seals again: its row (by id, where the
/// table has one) and the value as stored.
struct Stale {
    id: Option<uuid::Uuid>,
    stored: String,
}

/// Each sealed column's stored values not sealed with the generation new
/// values get: sealed with an older generation, or stored plain in a
/// column that is to be sealed (a secret stored before sealing existed,
/// personal data stored before the settings named its column).
async fn stale_values(
    ctx: &TenantCtx,
    keys: &TenantKeys,
) -> Result<Vec<(&'static SealedColumn, Vec<Stale>)>> {
    ctx.run(false, async |db| {
        let backend = db.get_database_backend();
        let personal = db.personal()?;
        let mut out = Vec::new();
        for column in SEALED_COLUMNS {
            let id = column.row_id();
            let sql = format!(
                "SELECT {id} AS id, {c} AS v FROM {t} WHERE {c} IS NOT NULL",
                id = id.unwrap_or("NULL"),
                c = column.column,
                t = column.table
            );
            let rows = db
                .query_all_raw(Statement::from_string(backend, sql))
                .await?;
            let mut values = Vec::new();
            for r in rows {
                let stored: String = r.try_get("", "v")?;
                let stale = match is_sealed_text(&stored) {
                    true => !keys.is_current_text(&stored),
                    false => personal.seals(column),
                };
                if stale {
                    let id = match id {
                        Some(_) => Some(r.try_get("", "id")?),
                        None => None,
                    };
                    values.push(Stale { id, stored });
                }
            }
            out.push((column, values));
        }
        Ok(out)
    })
    .await
}

/// Seals one stored value again with the current generation (and writes
/// its blind index beside it); a value changed meanwhile (a secret
/// rotated, an address changed) is left as its writer sealed it.
async fn reseal_value(
    ctx: &TenantCtx,
    keys: &TenantKeys,
    column: &SealedColumn,
    value: Stale,
) -> Result<()> {
    let plain = keys.open_column(column, &value.stored)?;
    let sealed = keys.seal(column.name, &plain)?;
    // The index key is not rotated: the index is the one the value has, or
    // should have had (a value stored plain before its column was sealed).
    let index = match column.index {
        Some(_) => Some(keys.blind_index(column, &plain)?),
        None => None,
    };
    ctx.run_for_platform(async |db| {
        let backend = db.get_database_backend();
        // Numbered in the order they appear (SQLite binds them so).
        let mut values: Vec<sea_orm::Value> = vec![sealed.clone().into()];
        let mut sets = format!("{} = $1", column.column);
        if let (Some(index_column), Some(index)) = (column.index, index) {
            values.push(index.into());
            sets.push_str(&format!(", {index_column} = ${}", values.len()));
        }
        values.push(value.stored.clone().into());
        let mut filter = format!("{} = ${}", column.column, values.len());
        if let (Some(id_column), Some(id)) = (column.row_id(), value.id) {
            values.push(id.into());
            filter.push_str(&format!(" AND {id_column} = ${}", values.len()));
        }
        let sql = crate::tenancy::placeholders::for_backend(
            backend,
            &format!("UPDATE {t} SET {sets} WHERE {filter}", t = column.table),
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    })
    .await
}

async fn set(
    ctx: &TenantCtx,
    id: uuid::Uuid,
    change: impl FnOnce(&mut row::ActiveModel) + Send,
) -> Result<()> {
    super::progress_row::update::<row::Entity>(ctx, row::Column::Id, id, change).await
}
