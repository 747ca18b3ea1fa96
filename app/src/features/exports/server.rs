//! Data exports: requested by a superadmin (console) or the tenant's admins;
//! downloaded only on the tenant's own host, by its admins.

use crate::backend::{managed_tenant, scope, stored, timestamp};
use crate::dto::ExportState;
use crate::error::AppError;
use crate::features::exports::api::ExportDto;
use tenantry::exports::{self, ExportView};
use tenantry::tenancy::RequestScope;

fn dto(e: ExportView, on_tenant_host: bool) -> Result<ExportDto, AppError> {
    let state = stored(ExportState::parse, "export", &e.state)?;
    let downloadable = on_tenant_host && state == ExportState::Done;
    Ok(ExportDto {
        download_url: downloadable.then(|| format!("/api/v1/exports/{}/archive", e.id)),
        id: e.id.to_string(),
        state,
        rows_total: e.rows_total,
        rows_done: e.rows_done,
        size_bytes: e.size_bytes,
        sha256: e.sha256,
        error: e.error,
        created_at: timestamp(e.created_at),
        expires_at: e.expires_at.map(timestamp),
    })
}

async fn on_tenant_host() -> Result<bool, AppError> {
    Ok(matches!(scope().await?, RequestScope::Tenant(_)))
}

pub async fn request_export(slug: String) -> Result<ExportDto, AppError> {
    let tenant_host = on_tenant_host().await?;
    let (engine, tenant, actor) = managed_tenant(&slug).await?;
    let export = exports::request(&engine, &tenant, &actor).await?;
    dto(export, tenant_host)
}

pub async fn list_exports(slug: String) -> Result<Vec<ExportDto>, AppError> {
    // Everything read from the request comes first, before any query: the
    // page's Suspense renders its panels twice during SSR, and the first
    // render's resources finish after their context is gone (what they
    // produce is still what the browser hydrates with).
    let tenant_host = on_tenant_host().await?;
    let (engine, tenant, _) = managed_tenant(&slug).await?;
    let list = exports::list(&engine, &tenant).await?;
    list.into_iter().map(|e| dto(e, tenant_host)).collect()
}
