//! Background jobs as people see them: the whole queue for superadmins
//! (counts by tenant and kind, dead and waiting jobs, retry and cancel), and
//! a tenant's own long work (its jobs, a move under way) for its admins.

use crate::backend::{admin, fail, managed_tenant, paged, stored, timestamp};
use crate::dto::{JobDto, JobState, TenantWorkDto};
use crate::error::AppError;
use crate::features::jobs::api::{JobCountDto, JobOverviewDto};
use tenantry::entities::search::Place;
use tenantry::jobs::{self, manage, JobView};
use tenantry::tenancy::moves;

/// Dead and waiting jobs the console lists at most.
const ATTENTION: usize = 100;

fn job_dto(slug: &str, j: JobView) -> Result<JobDto, AppError> {
    let state = stored(JobState::parse, "job", &j.state)?;
    Ok(JobDto {
        id: j.id.to_string(),
        slug: slug.to_owned(),
        kind: j.kind,
        state,
        attempts: j.attempts,
        max_attempts: j.max_attempts,
        run_at: timestamp(j.run_at),
        last_error: j.last_error,
        created_at: timestamp(j.created_at),
        finished_at: j.finished_at.map(timestamp),
    })
}

pub async fn job_overview() -> Result<JobOverviewDto, AppError> {
    let (engine, _) = admin().await?;
    let overview = manage::overview(&engine, ATTENTION).await?;
    Ok(JobOverviewDto {
        counts: overview
            .counts
            .into_iter()
            .map(|c| JobCountDto {
                slug: c.slug,
                kind: c.kind,
                queued: c.queued,
                running: c.running,
                dead: c.dead,
                done: c.done,
                cancelled: c.cancelled,
            })
            .collect(),
        attention: overview
            .attention
            .into_iter()
            .map(|a| job_dto(&a.slug, a.job))
            .collect::<Result<_, _>>()?,
        tenants_not_shown: overview.tenants_not_shown as u64,
    })
}

fn job_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| fail(tenantry::Error::NotFound))
}

pub async fn retry_job(slug: String, job_id_text: String) -> Result<(), AppError> {
    let (engine, tenant, actor) = managed_tenant(&slug).await?;
    let id = job_id(&job_id_text)?;
    Ok(manage::retry(&engine, &tenant, id, &actor).await?)
}

pub async fn cancel_job(slug: String, job_id_text: String) -> Result<(), AppError> {
    let (engine, tenant, actor) = managed_tenant(&slug).await?;
    let id = job_id(&job_id_text)?;
    Ok(manage::cancel(&engine, &tenant, id, &actor).await?)
}

/// A page of the tenant's jobs and the progress of a move of its data.
pub async fn tenant_work(
    slug: String,
    state: String,
    order: String,
    after: String,
) -> Result<TenantWorkDto, AppError> {
    let place = Place::parse(&order, &after)?;
    let (engine, tenant, _) = managed_tenant(&slug).await?;
    let latest = moves::latest(&engine, tenant.id).await?;
    let page = jobs::page_of(&engine, &tenant, &state, &place).await?;
    let slug = tenant.slug.as_str().to_owned();
    Ok(TenantWorkDto {
        jobs: paged(page, |j| job_dto(&slug, j))?,
        moving: latest
            .filter(|m| !m.finished)
            .map(crate::features::placements::server::move_dto),
    })
}
