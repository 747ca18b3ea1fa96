use crate::backend::{fail, site_origin, tenant_admin, timestamp};
use crate::error::AppError;
use crate::features::sso::api::{SsoDto, SsoPageDto};
use tenantry::identity::sso::config::{self, SsoInput, SsoView};
use tenantry::identity::Actor;

fn dto(v: SsoView) -> SsoDto {
    SsoDto {
        issuer: v.issuer,
        client_id: v.client_id,
        has_client_secret: v.has_client_secret,
        allowed_domains: v.allowed_domains.join(", "),
        jit_provisioning: v.jit_provisioning,
        default_role: v.default_role,
        enforce_sso: v.enforce_sso,
        break_glass_email: v.break_glass_email.unwrap_or_default(),
        updated: format!("{} by {}", timestamp(v.updated_at), v.updated_by),
    }
}

pub async fn get_sso() -> Result<SsoPageDto, AppError> {
    let origin = site_origin().await?;
    let (ctx, _) = tenant_admin().await?;
    let (name, value) = config::domain_proof(&ctx, "<domain>");
    Ok(SsoPageDto {
        redirect_uri: format!("{origin}/sso/callback"),
        config: config::view(&ctx).await?.map(dto),
        domain_proof_name: name,
        domain_proof_value: value,
    })
}

pub async fn save_sso(input: SsoInput) -> Result<SsoDto, AppError> {
    let (ctx, member) = tenant_admin().await?;
    config::save(&ctx, &Actor::of_member(member), input)
        .await
        .map(dto)
        .map_err(fail)
}

pub async fn remove_sso() -> Result<(), AppError> {
    let (ctx, member) = tenant_admin().await?;
    config::remove(&ctx, &Actor::of_member(member))
        .await
        .map_err(fail)
}
