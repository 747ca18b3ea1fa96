//! Webhook endpoints. Each belongs to an [`Owner`]: the platform, whose
//! endpoints are catalog rows and receive every tenant's events, or one
//! tenant, whose endpoints (and their signing secrets, sealed with the
//! tenant's data key) live in its own tenant plane, are reached only
//! through its `TenantDb`, and receive its own events. An owner is made from a superadmin's console request or from
//! a [`TenantCtx`], never from input: another owner's endpoint is not found.
//!
//! About 420 lines: an endpoint's whole management (create, change, rotate
//! the secret with its overlap, remove) around one owner check.

use super::{signature, target, EventKind};
use crate::audit;
use crate::entities::catalog::webhook_endpoint as platform_row;
use crate::entities::tenant::webhook_endpoint as tenant_row;
use crate::error::{Error, Result};
use crate::tenancy::keys::{WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET};
use crate::tenancy::{Engine, TenantCtx, TenantDb, TenantKeys};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

pub use target::parse_url;

/// Whose endpoints a request manages.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    Platform,
    Tenant(&'a TenantCtx),
}

impl<'a> Owner<'a> {
    pub fn of(ctx: &'a TenantCtx) -> Self {
        Owner::Tenant(ctx)
    }
}

/// An endpoint as its owner sees it: the secret is shown only on creation and
/// rotation, otherwise only its first characters.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointView {
    pub id: uuid::Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub secret_hint: String,
    /// While a rotation overlaps: when the previous secret stops signing.
    pub previous_secret_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An endpoint with its secret in clear, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointWithSecret {
    pub endpoint: EndpointView,
    pub secret: String,
}

/// An endpoint, whoever owns it (the two stores have the same fields).
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub id: uuid::Uuid,
    pub url: String,
    pub description: String,
    /// Comma-separated event kinds, or `*`.
    pub events: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The same conversion for both stores' rows.
macro_rules! endpoint_from {
    ($model:ty) => {
        impl From<$model> for Endpoint {
            fn from(row: $model) -> Self {
                Endpoint {
                    id: row.id,
                    url: row.url,
                    description: row.description,
                    events: row.events,
                    secret: row.secret,
                    previous_secret: row.previous_secret,
                    previous_secret_expires_at: row.previous_secret_expires_at,
                    enabled: row.enabled,
                    created_at: row.created_at,
                }
            }
        }
    };
}
endpoint_from!(platform_row::Model);
endpoint_from!(tenant_row::Model);

impl Endpoint {
    /// A tenant's endpoint, its secrets opened with the tenant's key.
    fn of_tenant(row: tenant_row::Model, keys: &TenantKeys) -> Result<Self> {
        let mut endpoint = Endpoint::from(row);
        endpoint.secret = keys.open_column(&WEBHOOK_SECRET, &endpoint.secret)?;
        endpoint.previous_secret = endpoint
            .previous_secret
            .map(|p| keys.open_column(&WEBHOOK_PREVIOUS_SECRET, &p))
            .transpose()?;
        Ok(endpoint)
    }

    /// Its secrets as a tenant row stores them: sealed.
    fn seal_into(&self, active: &mut tenant_row::ActiveModel, keys: &TenantKeys) -> Result<()> {
        active.secret = Set(keys.seal(WEBHOOK_SECRET.name, &self.secret)?);
        active.previous_secret = Set(self
            .previous_secret
            .as_deref()
            .map(|p| keys.seal(WEBHOOK_PREVIOUS_SECRET.name, p))
            .transpose()?);
        Ok(())
    }
}

/// Writes an endpoint's changeable fields into either store's active model.
macro_rules! set_changeable {
    ($active:expr, $endpoint:expr) => {{
        $active.secret = Set($endpoint.secret.clone());
        $active.previous_secret = Set($endpoint.previous_secret.clone());
        $active.previous_secret_expires_at = Set($endpoint.previous_secret_expires_at);
        $active.enabled = Set($endpoint.enabled);
    }};
}

impl Endpoint {
    fn new(url: url::Url, description: String, events: String) -> Self {
        Endpoint {
            id: uuid::Uuid::now_v7(),
            url: url.to_string(),
            description,
            events,
            secret: signature::new_secret(),
            previous_secret: None,
            previous_secret_expires_at: None,
            enabled: true,
            created_at: chrono::Utc::now(),
        }
    }

    pub(crate) fn receives(&self, kind: EventKind) -> bool {
        self.enabled && (self.events == "*" || self.events.split(',').any(|k| k == kind.as_str()))
    }

    /// The secrets valid for signing now: the current one, and the previous
    /// one while the rotation overlaps.
    pub(crate) fn signing_secrets(&self) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) =
            (&self.previous_secret, self.previous_secret_expires_at)
        {
            if until > chrono::Utc::now() {
                secrets.push(previous.as_str());
            }
        }
        secrets
    }

    fn view(&self) -> EndpointView {
        let hint_len = signature::SECRET_PREFIX.len() + 4;
        EndpointView {
            id: self.id,
            url: self.url.clone(),
            description: self.description.clone(),
            events: self.events.split(',').map(str::to_owned).collect(),
            enabled: self.enabled,
            secret_hint: format!("{}…", &self.secret[..hint_len.min(self.secret.len())]),
            previous_secret_expires_at: self
                .previous_secret_expires_at
                .filter(|at| *at > chrono::Utc::now()),
            created_at: self.created_at,
        }
    }

    fn with_secret(&self) -> EndpointWithSecret {
        EndpointWithSecret {
            endpoint: self.view(),
            secret: self.secret.clone(),
        }
    }

    fn detail(&self) -> String {
        format!("endpoint={} url={}", self.id, self.url)
    }

    /// The endpoint, and each setting an edit changed (never a secret).
    fn change_from(&self, before: &Endpoint) -> String {
        let fields = [
            ("url", before.url.as_str(), self.url.as_str()),
            (
                "description",
                before.description.as_str(),
                self.description.as_str(),
            ),
            ("events", before.events.as_str(), self.events.as_str()),
            (
                "enabled",
                if before.enabled { "true" } else { "false" },
                if self.enabled { "true" } else { "false" },
            ),
        ];
        format!("endpoint={}: {}", self.id, audit::changes(&fields))
    }
}

/// Registers an endpoint; its secret is in the answer and nowhere else.
pub async fn create(
    engine: &Engine,
    owner: Owner<'_>,
    url: &str,
    description: &str,
    events: &str,
    actor: &str,
) -> Result<EndpointWithSecret> {
    let url = target::parse_url(engine, url)?;
    let endpoint = Endpoint::new(
        url,
        target::parse_description(description)?,
        target::parse_events(events)?,
    );
    let e = endpoint.clone();
    match owner {
        Owner::Platform => {
            platform_row::ActiveModel {
                id: Set(e.id),
                url: Set(e.url),
                description: Set(e.description),
                events: Set(e.events),
                secret: Set(e.secret),
                previous_secret: Set(None),
                previous_secret_expires_at: Set(None),
                enabled: Set(true),
                created_at: Set(e.created_at),
            }
            .insert(engine.platform_tables())
            .await?;
            audit::record(engine, actor, "webhook.created", None, &endpoint.detail()).await?;
        }
        Owner::Tenant(ctx) => {
            let keys = ctx.keys().await?;
            let mut row = tenant_row::ActiveModel {
                id: Set(e.id),
                url: Set(e.url.clone()),
                description: Set(e.description.clone()),
                events: Set(e.events.clone()),
                previous_secret_expires_at: Set(None),
                enabled: Set(true),
                created_at: Set(e.created_at),
                ..Default::default()
            };
            e.seal_into(&mut row, &keys)?;
            ctx.run(true, async |db| {
                db.insert(row.clone()).await?;
                audit::record_tenant(db, actor, "webhook.created", &endpoint.detail()).await
            })
            .await?;
        }
    }
    Ok(endpoint.with_secret())
}

pub async fn list(engine: &Engine, owner: Owner<'_>) -> Result<Vec<EndpointView>> {
    Ok(all(engine, owner)
        .await?
        .iter()
        .map(Endpoint::view)
        .collect())
}

async fn all(engine: &Engine, owner: Owner<'_>) -> Result<Vec<Endpoint>> {
    Ok(match owner {
        Owner::Platform => platform_row::Entity::find()
            .order_by_asc(platform_row::Column::CreatedAt)
            .all(engine.platform_tables())
            .await?
            .into_iter()
            .map(Endpoint::from)
            .collect(),
        Owner::Tenant(ctx) => {
            let keys = ctx.keys().await?;
            ctx.run(false, async |db| tenant_endpoints(db, &keys).await)
                .await?
        }
    })
}

/// Every endpoint of the tenant `db` is bound to, oldest first.
pub(crate) async fn tenant_endpoints(db: &TenantDb, keys: &TenantKeys) -> Result<Vec<Endpoint>> {
    tenant_row::Entity::find()
        .order_by_asc(tenant_row::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Endpoint::of_tenant(row, keys))
        .collect()
}

/// The ids of the tenant's endpoints that receive `kind` (their secrets
/// stay sealed: nothing is signed here).
pub(crate) async fn tenant_receivers(db: &TenantDb, kind: EventKind) -> Result<Vec<uuid::Uuid>> {
    Ok(tenant_row::Entity::find()
        .order_by_asc(tenant_row::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(Endpoint::from)
        .filter(|endpoint| endpoint.receives(kind))
        .map(|endpoint| endpoint.id)
        .collect())
}

/// Not found unless the tenant `db` is bound to has endpoint `id`.
pub(crate) async fn tenant_endpoint_exists(db: &TenantDb, id: uuid::Uuid) -> Result<()> {
    tenant_row::Entity::find()
        .filter(tenant_row::Column::Id.eq(id))
        .one(db)
        .await?
        .map(|_| ())
        .ok_or(Error::NotFound)
}

/// The platform's endpoints that receive `kind`.
pub(crate) async fn platform_subscribed(
    conn: &impl ConnectionTrait,
    kind: EventKind,
) -> Result<Vec<Endpoint>> {
    let rows = platform_row::Entity::find().all(conn).await?;
    Ok(rows
        .into_iter()
        .map(Endpoint::from)
        .filter(|e| e.receives(kind))
        .collect())
}

/// The platform's endpoint `id`.
pub(crate) async fn find_platform(conn: &impl ConnectionTrait, id: uuid::Uuid) -> Result<Endpoint> {
    platform_row::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(Endpoint::from)
        .ok_or(Error::NotFound)
}

/// The endpoint `id` of the tenant `db` is bound to; another tenant's is
/// not found.
pub(crate) async fn find_tenant(
    db: &TenantDb,
    id: uuid::Uuid,
    keys: &TenantKeys,
) -> Result<Endpoint> {
    let row = tenant_row::Entity::find()
        .filter(tenant_row::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    Endpoint::of_tenant(row, keys)
}

/// Reads the owner's endpoint `id`, applies `edit`, saves it and audits
/// `action`, in one transaction of the tenant for a tenant's endpoint.
async fn change(
    engine: &Engine,
    owner: Owner<'_>,
    id: uuid::Uuid,
    actor: &str,
    action: &str,
    edit: impl FnOnce(&mut Endpoint),
) -> Result<Endpoint> {
    match owner {
        Owner::Platform => {
            let row = platform_row::Entity::find_by_id(id)
                .one(engine.platform_tables())
                .await?
                .ok_or(Error::NotFound)?;
            let before = Endpoint::from(row.clone());
            let mut endpoint = before.clone();
            edit(&mut endpoint);
            let mut active = row.into_active_model();
            set_changeable!(active, endpoint);
            active.update(engine.platform_tables()).await?;
            let detail = endpoint.change_from(&before);
            audit::record(engine, actor, action, None, &detail).await?;
            Ok(endpoint)
        }
        Owner::Tenant(ctx) => {
            let keys = ctx.keys().await?;
            ctx.run(true, async |db| {
                let row = tenant_row::Entity::find()
                    .filter(tenant_row::Column::Id.eq(id))
                    .one(db)
                    .await?
                    .ok_or(Error::NotFound)?;
                let before = Endpoint::of_tenant(row.clone(), &keys)?;
                let mut endpoint = before.clone();
                edit(&mut endpoint);
                let mut active = row.into_active_model();
                set_changeable!(active, endpoint);
                endpoint.seal_into(&mut active, &keys)?;
                active.update(db).await?;
                let detail = endpoint.change_from(&before);
                audit::record_tenant(db, actor, action, &detail).await?;
                Ok(endpoint)
            })
            .await
        }
    }
}

/// Replaces the secret; the previous one keeps signing (as a second `v1`)
/// for the configured overlap so receivers can switch without losing events.
pub async fn rotate_secret(
    engine: &Engine,
    owner: Owner<'_>,
    id: uuid::Uuid,
    actor: &str,
) -> Result<EndpointWithSecret> {
    let overlap =
        chrono::Duration::hours(i64::from(engine.settings().webhook_secret_overlap_hours));
    let rotated = change(engine, owner, id, actor, "webhook.secret_rotated", |e| {
        let new = signature::new_secret();
        e.previous_secret = Some(std::mem::replace(&mut e.secret, new));
        e.previous_secret_expires_at = Some(chrono::Utc::now() + overlap);
    })
    .await?;
    Ok(rotated.with_secret())
}

pub async fn set_enabled(
    engine: &Engine,
    owner: Owner<'_>,
    id: uuid::Uuid,
    enabled: bool,
    actor: &str,
) -> Result<EndpointView> {
    let action = if enabled {
        "webhook.enabled"
    } else {
        "webhook.disabled"
    };
    let changed = change(engine, owner, id, actor, action, |e| e.enabled = enabled).await?;
    Ok(changed.view())
}

/// Removes the endpoint and its delivery log at once.
pub async fn remove(engine: &Engine, owner: Owner<'_>, id: uuid::Uuid, actor: &str) -> Result<()> {
    match owner {
        Owner::Platform => {
            let endpoint = find_platform(engine.platform_tables(), id).await?;
            // Its deliveries go with it (ON DELETE CASCADE).
            platform_row::Entity::delete_by_id(id)
                .exec(engine.platform_tables())
                .await?;
            audit::record(engine, actor, "webhook.removed", None, &endpoint.detail()).await
        }
        Owner::Tenant(ctx) => {
            let keys = ctx.keys().await?;
            ctx.run(true, async |db| {
                let endpoint = find_tenant(db, id, &keys).await?;
                super::delivery::tenant_queue::remove_log(db, id).await?;
                tenant_row::Entity::delete_many()
                    .filter(tenant_row::Column::Id.eq(id))
                    .exec(db)
                    .await?;
                audit::record_tenant(db, actor, "webhook.removed", &endpoint.detail()).await
            })
            .await
        }
    }
}
