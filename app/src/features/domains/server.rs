//! Custom domains for whoever manages them on this host: a superadmin on the
//! console (for the tenant named by `slug`), or an owner or admin on a tenant
//! host (for that tenant; `slug` is ignored there). The tenant comes from the
//! host and session, never from a field a tenant user controls.

use crate::backend::{fail, managed_tenant as tenant_for, parse_id, stored, timestamp};
use crate::dto::DomainState;
use crate::error::AppError;
use crate::features::domains::api::DomainDto;
use tenantry::domains::{self, DomainView};

fn dto(d: DomainView) -> Result<DomainDto, AppError> {
    Ok(DomainDto {
        id: d.id.to_string(),
        hostname: d.hostname,
        state: stored(DomainState::parse, "domain", &d.state)?,
        is_primary: d.is_primary,
        txt_name: d.txt_name,
        txt_value: d.txt_value,
        cname_target: d.cname_target,
        last_error: d.last_error,
        checked_at: d.checked_at.map(timestamp),
        verified_at: d.verified_at.map(timestamp),
    })
}

pub async fn list_domains(slug: String) -> Result<Vec<DomainDto>, AppError> {
    let (engine, tenant, _) = tenant_for(&slug).await?;
    let list = domains::list(&engine, &tenant).await?;
    list.into_iter().map(dto).collect()
}

pub async fn add_domain(slug: String, hostname: String) -> Result<DomainDto, AppError> {
    let (engine, tenant, actor) = tenant_for(&slug).await?;
    domains::add(&engine, &tenant, &hostname, &actor)
        .await
        .map_err(fail)
        .and_then(dto)
}

pub async fn verify_domain(slug: String, domain_id: String) -> Result<DomainDto, AppError> {
    let (engine, tenant, actor) = tenant_for(&slug).await?;
    let id = parse_id(&domain_id)?;
    domains::verify(&engine, &tenant, id, &actor)
        .await
        .map_err(fail)
        .and_then(dto)
}

pub async fn make_domain_primary(slug: String, domain_id: String) -> Result<DomainDto, AppError> {
    let (engine, tenant, actor) = tenant_for(&slug).await?;
    let id = parse_id(&domain_id)?;
    domains::make_primary(&engine, &tenant, id, &actor)
        .await
        .map_err(fail)
        .and_then(dto)
}

pub async fn remove_domain(slug: String, domain_id: String) -> Result<(), AppError> {
    let (engine, tenant, actor) = tenant_for(&slug).await?;
    let id = parse_id(&domain_id)?;
    domains::remove(&engine, &tenant, id, &actor)
        .await
        .map_err(fail)
}
