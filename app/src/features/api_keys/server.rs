use crate::backend::{fail, parse_id, tenant_admin, timestamp};
use crate::error::AppError;
use crate::features::api_keys::api::{ApiKeyDto, CreatedApiKeyDto};
use tenantry::identity::api_keys::{self, ApiKey, NewKey};
use tenantry::identity::Actor;

fn dto(k: ApiKey) -> ApiKeyDto {
    ApiKeyDto {
        id: k.id.to_string(),
        name: k.name,
        prefix: k.prefix,
        role: k.role,
        requests_per_second: k.requests_per_second,
        created_by: k.created_by,
        created_at: timestamp(k.created_at),
        expires_at: k.expires_at.map(timestamp),
        last_used_at: k.last_used_at.map(timestamp),
        revoked: k.revoked_at.is_some(),
    }
}

async fn admin_actor() -> Result<(tenantry::tenancy::TenantCtx, Actor), AppError> {
    let (ctx, member) = tenant_admin().await?;
    Ok((ctx, Actor::of_member(member)))
}

pub async fn list_api_keys() -> Result<Vec<ApiKeyDto>, AppError> {
    let (ctx, _) = admin_actor().await?;
    let keys = api_keys::list(&ctx).await?;
    Ok(keys.into_iter().map(dto).collect())
}

pub async fn create_api_key(
    name: String,
    role: String,
    expires_in_days: String,
    requests_per_second: String,
) -> Result<CreatedApiKeyDto, AppError> {
    let (ctx, actor) = admin_actor().await?;
    let new = NewKey::parse(&name, &role, &expires_in_days, &requests_per_second)?;
    let created = api_keys::create(&ctx, &actor, new).await?;
    Ok(CreatedApiKeyDto {
        key: dto(created.key),
        secret: created.secret,
    })
}

pub async fn revoke_api_key(key_id: String) -> Result<ApiKeyDto, AppError> {
    let (ctx, actor) = admin_actor().await?;
    let id = parse_id(&key_id)?;
    api_keys::revoke(&ctx, &actor, id)
        .await
        .map(dto)
        .map_err(fail)
}
