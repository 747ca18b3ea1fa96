use crate::backend::{
    actor, admin, admin_with_fresh_factor, audit_row, branding_dto, fail, paged, timestamp,
};
use crate::dto::{AuditRow, PageDto};
use crate::error::AppError;
use crate::features::console::api::{ReceiptDto, TenantDetail, TenantListDto, TenantRow};
use tenantry::audit;
use tenantry::catalog::tenants::{self, NewTenant, TenantSummary};
use tenantry::entities::search::Place;

fn row(engine: &tenantry::tenancy::Engine, t: TenantSummary) -> TenantRow {
    let clusters = engine.clusters();
    let region = clusters
        .region_of(t.cluster.as_deref())
        .unwrap_or("unknown")
        .to_owned();
    let cluster = clusters.name_of(t.cluster.as_deref()).to_owned();
    TenantRow {
        cluster,
        region,
        id: t.id.to_string(),
        slug: t.slug,
        name: t.name,
        state: t.state,
        placement: t.placement.as_str().to_owned(),
        location: t.location,
        created_at: timestamp(t.created_at),
        deleted_at: t.deleted_at.map(timestamp),
        plan: t.plan,
    }
}

pub use tenants::TenantFilters;

/// Rows on one page of the console's tenant list.
const PAGE_ROWS: u64 = 50;

pub async fn list_tenants(f: TenantFilters) -> Result<TenantListDto, AppError> {
    let (engine, _) = admin().await?;
    let query = tenants::TenantQuery::parse(f, PAGE_ROWS)?;
    let page = tenants::page(&engine, &query).await?;
    let plans = tenantry::plans::store::list(&engine)
        .await?
        .iter()
        .map(|p| p.key.clone())
        .collect();
    let mut regions: Vec<String> = engine
        .clusters()
        .all()
        .into_iter()
        .map(|(_, region)| region)
        .collect();
    regions.sort();
    regions.dedup();
    Ok(TenantListDto {
        rows: page.rows.into_iter().map(|t| row(&engine, t)).collect(),
        next: page.next,
        plans,
        regions,
    })
}

pub async fn create_tenant(
    slug: String,
    name: String,
    admin_email: String,
    admin_password: String,
    placement: String,
    pending: bool,
) -> Result<TenantRow, AppError> {
    let (engine, who) = admin().await?;
    let input = NewTenant {
        slug,
        name,
        admin_email,
        admin_password,
        placement,
        region: String::new(),
        pending,
        plan: String::new(),
    };
    let created = tenantry::lifecycle::create(&engine, input, &actor(&who.email)).await?;
    Ok(row(&engine, created))
}

pub async fn get_tenant(slug: String) -> Result<TenantDetail, AppError> {
    let (engine, _) = admin().await?;
    let (summary, branding) = tenants::get(&engine, &slug).await?;
    let settings = engine.settings();
    // The tenant's primary custom domain when it has one, else its subdomain.
    let primary = engine
        .record_by_id(summary.id)
        .await?
        .and_then(|record| record.primary_host);
    let host = primary.unwrap_or_else(|| format!("{}.{}", summary.slug, settings.base_domain));
    let scheme = if settings.secure_cookies {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{host}:{}", settings.listen.port());
    Ok(TenantDetail {
        tenant: row(&engine, summary),
        branding: branding_dto(&branding),
        url,
    })
}

pub async fn activate_tenant(slug: String) -> Result<TenantRow, AppError> {
    let (engine, who) = admin().await?;
    tenants::activate(&engine, &slug, &actor(&who.email))
        .await
        .map(|t| row(&engine, t))
        .map_err(fail)
}

pub async fn purge_tenant(slug: String, confirm: String) -> Result<ReceiptDto, AppError> {
    let (engine, who) = admin_with_fresh_factor().await?;
    let receipt =
        tenantry::lifecycle::purge_now(&engine, &slug, &confirm, &actor(&who.email)).await?;
    Ok(ReceiptDto {
        complete: receipt.complete(),
        slug: receipt.slug,
        purged_at: timestamp(receipt.purged_at),
        stores: receipt
            .stores
            .into_iter()
            .map(|s| (s.store, s.before, s.after))
            .collect(),
    })
}

pub async fn suspend_tenant(slug: String) -> Result<TenantRow, AppError> {
    let (engine, who) = admin().await?;
    tenants::suspend(&engine, &slug, &actor(&who.email))
        .await
        .map(|t| row(&engine, t))
        .map_err(fail)
}

pub async fn resume_tenant(slug: String) -> Result<TenantRow, AppError> {
    let (engine, who) = admin().await?;
    tenants::resume(&engine, &slug, &actor(&who.email))
        .await
        .map(|t| row(&engine, t))
        .map_err(fail)
}

pub async fn delete_tenant(slug: String, confirm: String) -> Result<TenantRow, AppError> {
    let (engine, who) = admin_with_fresh_factor().await?;
    let deleted = tenants::delete(&engine, &slug, &confirm, &actor(&who.email)).await?;
    leptos_axum::redirect("/console");
    Ok(row(&engine, deleted))
}

pub async fn list_audit(
    query: String,
    order: String,
    after: String,
) -> Result<PageDto<AuditRow>, AppError> {
    let place = Place::parse(&order, &after)?;
    let (engine, _) = admin().await?;
    paged(audit::page(&engine, &query, &place).await?, audit_row)
}

/// The dev mailbox: the latest outgoing messages (bodies of delivered ones
/// are blanked once the mail server has them).
pub async fn list_mailbox() -> Result<Vec<crate::features::console::api::MailDto>, AppError> {
    let (engine, _) = admin().await?;
    let messages = tenantry::mail::outbox::recent(&engine, 100).await?;
    Ok(messages
        .into_iter()
        .map(|m| crate::features::console::api::MailDto {
            id: m.id.to_string(),
            to: m.to,
            from_name: m.from_name,
            subject: m.subject,
            text: m.text,
            state: m.state,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: timestamp(m.created_at),
        })
        .collect())
}

/// Starts acting as a tenant's member (a reason is required); the link that
/// opens the session on the tenant's host.
pub async fn impersonate(
    slug: String,
    email: String,
    reason: String,
) -> Result<crate::features::console::api::ImpersonationLinkDto, AppError> {
    let origin = crate::backend::site_origin().await?;
    let (engine, who) = admin_with_fresh_factor().await?;
    let started = tenantry::identity::impersonation::start(
        &engine, &who.email, &origin, &slug, &email, &reason,
    )
    .await?;
    Ok(crate::features::console::api::ImpersonationLinkDto {
        url: started.url,
        expires_at: timestamp(started.expires_at),
    })
}

pub async fn invite_signup(email: String) -> Result<String, AppError> {
    let origin = crate::backend::site_origin().await?;
    let (engine, who) = admin().await?;
    Ok(
        tenantry::lifecycle::signup_invites::issue(&engine, &actor(&who.email), &email, &origin)
            .await?,
    )
}

pub async fn console_overview() -> Result<crate::features::console::api::OverviewDto, AppError> {
    let (engine, _) = admin().await?;
    let o = tenants::overview(&engine).await?;
    Ok(crate::features::console::api::OverviewDto {
        total: o.total,
        by_state: o.by_state,
        by_plan: o.by_plan,
        by_placement: o.by_placement,
        weeks: o
            .weeks
            .into_iter()
            .map(|w| (w.starts, w.signups, w.churned))
            .collect(),
        past_due: o.past_due,
        failed_deliveries: o.failed_deliveries,
        tenants_with_failed_jobs: o.tenants_with_failed_jobs,
        base_fees: tenantry::billing::fees::flat_fees_of_active(&engine)
            .await?
            .iter()
            .map(|(currency, amount)| crate::features::billing::api::money(*amount, currency))
            .collect(),
    })
}
