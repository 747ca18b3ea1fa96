//! Webhook endpoints. Each belongs to an [`Owner`]: the platform (receives
//! every tenant's events) or one tenant (receives its own only). An owner is
//! made from a superadmin's console request or from a [`TenantCtx`], never
//! from input, and every lookup goes through it: another owner's endpoint is
//! not found.

use super::{signature, EventKind};
use crate::catalog::audit;
use crate::entities::catalog::webhook_endpoint;
use crate::error::{Error, Result};
use crate::tenancy::{Engine, TenantCtx, TenantId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Platform,
    Tenant(TenantId),
}

impl Owner {
    pub fn of(ctx: &TenantCtx) -> Self {
        Owner::Tenant(ctx.id())
    }

    fn tenant(self) -> Option<uuid::Uuid> {
        match self {
            Owner::Platform => None,
            Owner::Tenant(id) => Some(id.uuid()),
        }
    }

    fn owns(self, row: &webhook_endpoint::Model) -> bool {
        row.tenant == self.tenant()
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

fn view(row: &webhook_endpoint::Model) -> EndpointView {
    let hint_len = signature::SECRET_PREFIX.len() + 4;
    EndpointView {
        id: row.id,
        url: row.url.clone(),
        description: row.description.clone(),
        events: row.events.split(',').map(str::to_owned).collect(),
        enabled: row.enabled,
        secret_hint: format!("{}…", &row.secret[..hint_len.min(row.secret.len())]),
        previous_secret_expires_at: row
            .previous_secret_expires_at
            .filter(|at| *at > chrono::Utc::now()),
        created_at: row.created_at,
    }
}

/// The endpoint's secrets valid for signing now: the current one, and the
/// previous one while the rotation overlaps.
pub(crate) fn signing_secrets(row: &webhook_endpoint::Model) -> Vec<&str> {
    let mut secrets = vec![row.secret.as_str()];
    if let (Some(previous), Some(until)) = (&row.previous_secret, row.previous_secret_expires_at) {
        if until > chrono::Utc::now() {
            secrets.push(previous.as_str());
        }
    }
    secrets
}

/// Checks a webhook URL: http(s), a host, no credentials, and unless the
/// deployment allows insecure targets (development, tests), https to a public
/// address only, so that endpoints cannot be aimed at the platform's own
/// network. Delivery checks the resolved addresses again.
pub fn parse_url(engine: &Engine, raw: &str) -> Result<url::Url> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Error::invalid("url", "is required"));
    }
    if raw.len() > 2000 {
        return Err(Error::invalid("url", "must be at most 2000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|_| Error::invalid("url", "is not a valid URL"))?;
    let insecure_ok = engine.settings().webhook_allow_insecure_targets;
    match url.scheme() {
        "https" => {}
        "http" if insecure_ok => {}
        "http" => return Err(Error::invalid("url", "must use https")),
        _ => return Err(Error::invalid("url", "must be an http(s) URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid("url", "must not contain credentials"));
    }
    let Some(host) = url.host_str() else {
        return Err(Error::invalid("url", "must name a host"));
    };
    if !insecure_ok {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            if !is_public(ip) {
                return Err(Error::invalid("url", "must not point to a private address"));
            }
        } else if host == "localhost" || host.ends_with(".localhost") {
            return Err(Error::invalid("url", "must not point to a private address"));
        }
    }
    Ok(url)
}

/// Whether an address is reachable on the public internet (not loopback,
/// private, link-local, shared, documentation or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// `*` (or nothing) for every event, else a comma list of known kinds.
fn parse_events(raw: &str) -> Result<String> {
    let kinds: Vec<&str> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|k| !k.is_empty())
        .collect();
    if kinds.is_empty() || kinds == ["*"] {
        return Ok("*".into());
    }
    for kind in &kinds {
        if EventKind::parse(kind).is_none() {
            return Err(Error::invalid(
                "events",
                format!("unknown event {kind:?}; use * or names like tenant.suspended"),
            ));
        }
    }
    Ok(kinds.join(","))
}

fn parse_description(raw: &str) -> Result<String> {
    let description = raw.trim();
    if description.chars().count() > 200 {
        return Err(Error::invalid(
            "description",
            "must be at most 200 characters",
        ));
    }
    Ok(description.to_owned())
}

fn actor_detail(row: &webhook_endpoint::Model) -> String {
    format!("endpoint={} url={}", row.id, row.url)
}

/// Registers an endpoint; its secret is in the answer and nowhere else.
pub async fn create(
    engine: &Engine,
    owner: Owner,
    url: &str,
    description: &str,
    events: &str,
    actor: &str,
) -> Result<EndpointWithSecret> {
    let url = parse_url(engine, url)?;
    let description = parse_description(description)?;
    let events = parse_events(events)?;
    let secret = signature::new_secret();
    let row = webhook_endpoint::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant: Set(owner.tenant()),
        url: Set(url.to_string()),
        description: Set(description),
        events: Set(events),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        enabled: Set(true),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(engine.catalog())
    .await?;
    let tenant = owner.tenant().map(TenantId::from_uuid);
    audit::record(
        engine,
        actor,
        "webhook.created",
        tenant,
        &actor_detail(&row),
    )
    .await?;
    Ok(EndpointWithSecret {
        endpoint: view(&row),
        secret,
    })
}

pub async fn list(engine: &Engine, owner: Owner) -> Result<Vec<EndpointView>> {
    let select = webhook_endpoint::Entity::find().order_by_asc(webhook_endpoint::Column::CreatedAt);
    let select = match owner.tenant() {
        None => select.filter(webhook_endpoint::Column::Tenant.is_null()),
        Some(tenant) => select.filter(webhook_endpoint::Column::Tenant.eq(tenant)),
    };
    Ok(select
        .all(engine.catalog())
        .await?
        .iter()
        .map(view)
        .collect())
}

/// The owner's endpoint `id`; anyone else's is not found.
pub(crate) async fn find(
    engine: &Engine,
    owner: Owner,
    id: uuid::Uuid,
) -> Result<webhook_endpoint::Model> {
    webhook_endpoint::Entity::find_by_id(id)
        .one(engine.catalog())
        .await?
        .filter(|row| owner.owns(row))
        .ok_or(Error::NotFound)
}

/// Replaces the secret; the previous one keeps signing (as a second `v1`)
/// for the configured overlap so receivers can switch without losing events.
pub async fn rotate_secret(
    engine: &Engine,
    owner: Owner,
    id: uuid::Uuid,
    actor: &str,
) -> Result<EndpointWithSecret> {
    let row = find(engine, owner, id).await?;
    let secret = signature::new_secret();
    let overlap =
        chrono::Duration::hours(i64::from(engine.settings().webhook_secret_overlap_hours));
    let mut active = row.clone().into_active_model();
    active.previous_secret = Set(Some(row.secret.clone()));
    active.previous_secret_expires_at = Set(Some(chrono::Utc::now() + overlap));
    active.secret = Set(secret.clone());
    let row = active.update(engine.catalog()).await?;
    let tenant = owner.tenant().map(TenantId::from_uuid);
    audit::record(
        engine,
        actor,
        "webhook.secret_rotated",
        tenant,
        &actor_detail(&row),
    )
    .await?;
    Ok(EndpointWithSecret {
        endpoint: view(&row),
        secret,
    })
}

pub async fn set_enabled(
    engine: &Engine,
    owner: Owner,
    id: uuid::Uuid,
    enabled: bool,
    actor: &str,
) -> Result<EndpointView> {
    let row = find(engine, owner, id).await?;
    let mut active = row.into_active_model();
    active.enabled = Set(enabled);
    let row = active.update(engine.catalog()).await?;
    let action = if enabled {
        "webhook.enabled"
    } else {
        "webhook.disabled"
    };
    let tenant = owner.tenant().map(TenantId::from_uuid);
    audit::record(engine, actor, action, tenant, &actor_detail(&row)).await?;
    Ok(view(&row))
}

/// Removes the endpoint and its delivery log at once.
pub async fn remove(engine: &Engine, owner: Owner, id: uuid::Uuid, actor: &str) -> Result<()> {
    let row = find(engine, owner, id).await?;
    webhook_endpoint::Entity::delete_by_id(row.id)
        .exec(engine.catalog())
        .await?;
    let tenant = owner.tenant().map(TenantId::from_uuid);
    audit::record(
        engine,
        actor,
        "webhook.removed",
        tenant,
        &actor_detail(&row),
    )
    .await
}

/// Enabled endpoints that receive `kind` for `tenant`: the platform's, and
/// the tenant's own.
pub(crate) async fn subscribed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    kind: EventKind,
) -> Result<Vec<webhook_endpoint::Model>> {
    let rows = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .filter(
            Condition::any()
                .add(webhook_endpoint::Column::Tenant.is_null())
                .add(webhook_endpoint::Column::Tenant.eq(tenant.uuid())),
        )
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| row.events == "*" || row.events.split(',').any(|k| k == kind.as_str()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn event_lists_are_checked_and_normalised() {
        assert_eq!(parse_events("").ok().as_deref(), Some("*"));
        assert_eq!(parse_events(" * ").ok().as_deref(), Some("*"));
        assert_eq!(
            parse_events("tenant.suspended, tenant.resumed")
                .ok()
                .as_deref(),
            Some("tenant.suspended,tenant.resumed")
        );
        assert!(parse_events("tenant.suspended,nope").is_err());
    }
}
