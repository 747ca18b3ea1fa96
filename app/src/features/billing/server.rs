//! One tenant's billing: usage charts, the invoice preview, final invoices
//! and standing. Read by its owners and admins on the tenant host and by a
//! superadmin on the console, who also grants credit, closes a period and
//! marks invoices paid.

use crate::backend::{admin, fail, managed_tenant, paged, stored};
use crate::dto::{InvoiceStatus, PageDto};
use crate::error::AppError;
use crate::features::billing::api::{
    BillingDto, InvoiceDto, InvoiceLineDto, MeterChartDto, MeterDefDto,
};
use tenantry::billing::period::Period;
use tenantry::billing::rating::{Line, Rated};
use tenantry::billing::{accounts, invoices, usage};
use tenantry::entities::search::Place;
use tenantry::tenancy::{RequestScope, TenantId};

fn line_dto(l: &Line) -> InvoiceLineDto {
    let tiers = l
        .tiers
        .iter()
        .map(|t| {
            format!(
                "tier {}: {} × {}{}",
                t.tier,
                t.quantity,
                t.unit_amount,
                if t.flat_amount > 0 {
                    format!(" + {}", t.flat_amount)
                } else {
                    String::new()
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    InvoiceLineDto {
        description: l.description.clone(),
        quantity: l.quantity,
        included: l.included,
        unit_amount: l.unit_amount,
        tiers,
        amount: l.amount,
        prorated: l.prorated,
    }
}

fn preview_dto(r: &Rated) -> InvoiceDto {
    InvoiceDto {
        number: String::new(),
        period: r.period.label(),
        currency: r.currency.clone(),
        subtotal: r.subtotal,
        credits_applied: r.credits_applied,
        total: r.total,
        status: InvoiceStatus::Preview,
        lines: r.lines.iter().map(line_dto).collect(),
    }
}

fn invoice_dto(m: &tenantry::entities::tenant::invoice::Model) -> Result<InvoiceDto, AppError> {
    Ok(InvoiceDto {
        number: m.number.clone(),
        period: m.period.clone(),
        currency: m.currency.clone(),
        subtotal: m.subtotal,
        credits_applied: m.credits_applied,
        total: m.total,
        status: stored(InvoiceStatus::parse, "invoice", &m.status)?,
        lines: invoices::lines_of(m).iter().map(line_dto).collect(),
    })
}

pub async fn billing_overview(slug: String) -> Result<BillingDto, AppError> {
    let on_console = matches!(crate::backend::scope().await?, RequestScope::Console);
    let (engine, tenant, _) = managed_tenant(&slug).await?;
    let ctx = engine.ctx_for(tenant.id).await?;
    let period = Period::containing(chrono::Utc::now());
    let policy = engine.policy().await?;
    // One read of the tenant's usage for the charts and the preview alike.
    let db = ctx.read().await?;
    let meters = usage::summary(&policy.meters, &db, period).await?;
    let preview = invoices::rate_period(&engine, &ctx, &db, period).await?;
    db.commit().await.map_err(|e| fail(e.into()))?;
    let (standing, credit_balance, notice) = accounts::summary(&ctx).await?;
    Ok(BillingDto {
        slug: tenant.slug.to_string(),
        period: period.label(),
        plan_name: policy
            .plan(&tenant.plan)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| tenant.plan.clone()),
        standing: standing.as_str().into(),
        notice,
        credit_balance,
        meters: meters
            .into_iter()
            .map(|m| MeterChartDto {
                key: m.key,
                name: m.name,
                unit: m.unit,
                aggregation: m.aggregation.as_str().into(),
                total: m.total,
                daily: m.daily,
            })
            .collect(),
        preview: preview_dto(&preview),
        on_console,
        stripe: engine.settings().stripe_secret_key.is_some(),
    })
}

pub async fn list_invoices(
    slug: String,
    status: String,
    order: String,
    after: String,
) -> Result<PageDto<InvoiceDto>, AppError> {
    let place = Place::parse(&order, &after)?;
    let (engine, tenant, _) = managed_tenant(&slug).await?;
    let ctx = engine.ctx_for(tenant.id).await?;
    paged(invoices::page(&ctx, &status, &place).await?, |i| {
        invoice_dto(&i)
    })
}

/// A Stripe billing-portal link where the tenant's admin enters payment
/// details; Stripe sends them back to this billing page.
pub async fn billing_portal(slug: String) -> Result<String, AppError> {
    let origin = crate::backend::site_origin().await?;
    let (engine, tenant, _) = managed_tenant(&slug).await?;
    let back = format!("{origin}/admin/billing");
    tenantry::billing::stripe_mirror::portal_link(&engine, &tenant, &back)
        .await
        .map_err(fail)
}

async fn console_tenant(slug: &str) -> Result<(tenantry::Engine, TenantId, String), AppError> {
    admin().await?;
    let (engine, tenant, actor) = managed_tenant(slug).await?;
    Ok((engine, tenant.id, actor))
}

pub async fn grant_credit(slug: String, amount: String, reason: String) -> Result<(), AppError> {
    let (engine, tenant, actor) = console_tenant(&slug).await?;
    // The currency of the tenant's plan (its prices share one), without
    // rating a whole period to learn it.
    let record = engine.ctx_for(tenant).await?;
    let policy = engine.policy().await?;
    let currency = policy
        .plan(&record.tenant().plan)
        .and_then(|p| p.prices.first())
        .map_or_else(|| "usd".to_owned(), |p| p.currency.clone());
    accounts::grant_credit(&engine, tenant, &amount, &currency, &reason, &actor)
        .await
        .map(|_| ())
        .map_err(fail)
}

/// Closes the last period now, without waiting for its late window.
pub async fn close_period(slug: String) -> Result<(), AppError> {
    let (engine, tenant, _) = console_tenant(&slug).await?;
    let ctx = engine.ctx_for(tenant).await?;
    let period = Period::containing(chrono::Utc::now()).previous();
    invoices::finalize(&engine, &ctx, period)
        .await
        .map(|_| ())
        .map_err(fail)
}

pub async fn mark_invoice_paid(slug: String, number: String) -> Result<(), AppError> {
    let (engine, tenant, actor) = console_tenant(&slug).await?;
    invoices::mark_paid(&engine, tenant, &number, &actor)
        .await
        .map(|_| ())
        .map_err(fail)
}

pub async fn list_meters() -> Result<Vec<MeterDefDto>, AppError> {
    let (engine, _) = admin().await?;
    Ok(tenantry::plans::meters::list(&engine)
        .await?
        .into_iter()
        .map(|m| MeterDefDto {
            built_in: m.built_in(),
            key: m.key,
            name: m.name,
            unit: m.unit,
            aggregation: m.aggregation.as_str().into(),
            property: m.property.unwrap_or_default(),
            filters: m
                .filters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect())
}

pub async fn save_meter(input: tenantry::plans::meters::MeterInput) -> Result<(), AppError> {
    let (engine, who) = admin().await?;
    tenantry::plans::meters::save(&engine, &input, &crate::backend::actor(&who.email))
        .await
        .map(|_| ())
        .map_err(fail)
}
