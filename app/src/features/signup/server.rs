//! Signup on the base host (`tenantry::lifecycle::signup`) and the new
//! tenant's first-run checklist.

use crate::backend::{engine, scope, tenant_admin};
use crate::error::AppError;
use crate::features::signup::api::{FirstRunDto, PlanOptionDto, SignupDoneDto, SignupOptionsDto};
use tenantry::lifecycle::signup::{self, SignupForm};

/// The engine, once the request is on the base host (else not found).
async fn on_site() -> Result<tenantry::tenancy::Engine, AppError> {
    scope().await?.site()?;
    engine().await
}

pub async fn signup_options() -> Result<SignupOptionsDto, AppError> {
    let engine = on_site().await?;
    let policy = engine.policy().await?;
    let plans = tenantry::plans::store::list(&engine)
        .await?
        .iter()
        .map(|p| PlanOptionDto {
            key: p.key.clone(),
            name: p.name.clone(),
        })
        .collect();
    let default_plan = policy
        .plan(&engine.settings().default_plan)
        .map(|p| p.key.clone())
        .unwrap_or_default();
    Ok(SignupOptionsDto {
        open: signup::ensure_open(&engine).is_ok(),
        by_invitation: engine.settings().signup.mode == tenantry::config::SignupMode::Invite,
        base_domain: engine.settings().base_domain.clone(),
        plans,
        default_plan,
    })
}

pub async fn check_slug(slug: String) -> Result<String, AppError> {
    let engine = on_site().await?;
    signup::check_slug(&engine, &slug).await?;
    Ok(format!("{}.{}", slug.trim(), engine.settings().base_domain))
}

pub async fn sign_up(
    name: String,
    slug: String,
    email: String,
    password: String,
    plan: String,
    invite: String,
) -> Result<SignupDoneDto, AppError> {
    let engine = on_site().await?;
    let client = crate::backend::client_ip().await;
    let form = SignupForm {
        name,
        slug,
        email,
        password,
        plan,
        invite,
    };
    let receipt = signup::sign_up(&engine, form, client).await?;
    Ok(SignupDoneDto {
        email: receipt.email,
        origin: receipt.origin,
    })
}

pub async fn first_run() -> Result<FirstRunDto, AppError> {
    let engine = engine().await?;
    let (ctx, _) = tenant_admin().await?;
    let tenant = ctx.tenant();
    let invited = !tenantry::identity::invitations::list(&ctx)
        .await?
        .is_empty()
        || ctx
            .run(false, async |db| {
                tenantry::identity::members::count(db).await
            })
            .await?
            > 1;
    let domain = !tenantry::domains::list(&engine, tenant).await?.is_empty();
    let plan_name = engine
        .policy()
        .await?
        .plan(&tenant.plan)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| tenant.plan.clone());
    Ok(FirstRunDto {
        organisation: tenant.branding.display_name.clone(),
        branded: tenant.branding.updated_at != chrono::DateTime::UNIX_EPOCH,
        invited,
        domain,
        plan_name,
    })
}
