//! Webhook endpoints for whoever manages them on this host: the superadmin on
//! the console (the platform's endpoints, every tenant's events), an owner or
//! admin on a tenant host (that tenant's endpoints and events only). The
//! owner comes from the host and session, never from the request's fields.

use crate::backend::{
    admin, engine, fail, paged, parse_id, scope, stored, tenant_admin, timestamp,
};
use crate::dto::{DeliveryState, PageDto};
use crate::error::AppError;
use crate::features::webhooks::api::{DeliveryDto, WebhookDto, WebhookSecretDto};
use tenantry::entities::search::Place;
use tenantry::events::delivery::{self, DeliveryView};
use tenantry::events::endpoints::{self, EndpointView, EndpointWithSecret};
use tenantry::events::Owner;
use tenantry::tenancy::{Engine, RequestScope, TenantCtx};

/// Whose endpoints this host manages.
enum Managed {
    Platform,
    Tenant(TenantCtx),
}

impl Managed {
    fn owner(&self) -> Owner<'_> {
        match self {
            Managed::Platform => Owner::Platform,
            Managed::Tenant(ctx) => Owner::of(ctx),
        }
    }
}

async fn managed() -> Result<(Engine, Managed, String), AppError> {
    match scope().await? {
        RequestScope::Console => {
            let (engine, who) = admin().await?;
            Ok((engine, Managed::Platform, crate::backend::actor(&who.email)))
        }
        RequestScope::Tenant(_) => {
            // Read from the request before any query (see `managed_tenant`).
            let engine = engine().await?;
            let (ctx, who) = tenant_admin().await?;
            Ok((
                engine,
                Managed::Tenant(ctx),
                format!("member:{}", who.email),
            ))
        }
        RequestScope::Site => Err(fail(tenantry::Error::NotFound)),
    }
}

fn dto(e: EndpointView) -> WebhookDto {
    WebhookDto {
        id: e.id.to_string(),
        url: e.url,
        description: e.description,
        events: e.events,
        enabled: e.enabled,
        secret_hint: e.secret_hint,
        previous_secret_until: e.previous_secret_expires_at.map(timestamp),
        created_at: timestamp(e.created_at),
    }
}

fn with_secret(e: EndpointWithSecret) -> WebhookSecretDto {
    WebhookSecretDto {
        endpoint: dto(e.endpoint),
        secret: e.secret,
    }
}

fn delivery_dto(d: DeliveryView) -> Result<DeliveryDto, AppError> {
    Ok(DeliveryDto {
        id: d.id.to_string(),
        event_id: d.event_id.to_string(),
        event_type: d.event_type,
        tenant_slug: d.tenant_slug,
        status: stored(DeliveryState::parse, "delivery", &d.status)?,
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error,
        last_response: d.last_response,
        last_attempt_at: d.last_attempt_at.map(timestamp),
        next_attempt_at: d.next_attempt_at.map(timestamp),
        created_at: timestamp(d.created_at),
    })
}

pub async fn list_webhooks() -> Result<Vec<WebhookDto>, AppError> {
    let (engine, managed, _) = managed().await?;
    let list = endpoints::list(&engine, managed.owner()).await?;
    Ok(list.into_iter().map(dto).collect())
}

pub async fn create_webhook(
    url: String,
    description: String,
    events: String,
) -> Result<WebhookSecretDto, AppError> {
    let (engine, managed, actor) = managed().await?;
    endpoints::create(
        &engine,
        managed.owner(),
        &url,
        &description,
        &events,
        &actor,
    )
    .await
    .map(with_secret)
    .map_err(fail)
}

pub async fn rotate_webhook_secret(endpoint_id: String) -> Result<WebhookSecretDto, AppError> {
    let (engine, managed, actor) = managed().await?;
    let id = parse_id(&endpoint_id)?;
    endpoints::rotate_secret(&engine, managed.owner(), id, &actor)
        .await
        .map(with_secret)
        .map_err(fail)
}

pub async fn set_webhook_enabled(
    endpoint_id: String,
    enabled: bool,
) -> Result<WebhookDto, AppError> {
    let (engine, managed, actor) = managed().await?;
    let id = parse_id(&endpoint_id)?;
    endpoints::set_enabled(&engine, managed.owner(), id, enabled, &actor)
        .await
        .map(dto)
        .map_err(fail)
}

pub async fn remove_webhook(endpoint_id: String) -> Result<(), AppError> {
    let (engine, managed, actor) = managed().await?;
    let id = parse_id(&endpoint_id)?;
    endpoints::remove(&engine, managed.owner(), id, &actor)
        .await
        .map_err(fail)
}

pub async fn webhook_deliveries(
    endpoint_id: String,
    status: String,
    order: String,
    after: String,
) -> Result<PageDto<DeliveryDto>, AppError> {
    let place = Place::parse(&order, &after)?;
    let (engine, managed, _) = managed().await?;
    let id = parse_id(&endpoint_id)?;
    paged(
        delivery::log(&engine, managed.owner(), id, &status, &place).await?,
        delivery_dto,
    )
}

pub async fn resend_delivery(delivery_id: String) -> Result<(), AppError> {
    let (engine, managed, actor) = managed().await?;
    let id = parse_id(&delivery_id)?;
    delivery::resend(&engine, managed.owner(), id, &actor)
        .await
        .map_err(fail)
}
