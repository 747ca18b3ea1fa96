//! Host → tenant. Fails closed: anything that is not exactly the console host,
//! a verified custom domain or a live tenant's subdomain of the base domain
//! resolves to nothing.

use crate::entities::catalog::{tenant, verified_host};
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse, RequestScope, Slug, TenantRecord, TenantState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Strips an optional port and lowercases; `None` for anything malformed.
pub fn normalise_host(raw: &str) -> Option<String> {
    let host = raw.trim().trim_end_matches('.');
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        Some(_) => return None,
        None => host,
    };
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    Some(host.to_ascii_lowercase())
}

/// The scope a host (already normalised) belongs to, if any.
pub async fn by_host(engine: &Engine, host: &str) -> Result<Option<RequestScope>> {
    let settings = engine.settings();
    if host == settings.console_host() {
        return Ok(Some(RequestScope::Console));
    }
    let Some(label) = host.strip_suffix(&format!(".{}", settings.base_domain)) else {
        return by_custom_domain(engine, host).await;
    };
    if label.contains('.') {
        return Ok(None);
    }
    by_slug(engine, label).await
}

/// A verified custom domain's tenant, from the in-memory map of verified
/// domains (reloaded after any tenant change). Unknown hosts cost no query.
async fn by_custom_domain(engine: &Engine, host: &str) -> Result<Option<RequestScope>> {
    let cache = engine.tenant_cache();
    let slug = match cache.domain(host) {
        Some(known) => known,
        None => {
            let generation = cache.generation();
            let map: std::collections::HashMap<String, String> =
                verified_hosts(engine).await?.into_iter().collect();
            let found = map.get(host).cloned();
            cache.put_domains(map, generation);
            found
        }
    };
    match slug {
        Some(slug) => by_slug(engine, &slug).await,
        None => Ok(None),
    }
}

/// Every verified host name and its tenant's slug: the routing map.
async fn verified_hosts(engine: &Engine) -> Result<Vec<(String, String)>> {
    let (rows, tenants) = engine
        .on_platform(PlatformUse::Directory, async |db| {
            let rows = verified_host::Entity::find().all(db).await?;
            let tenants = tenant::Entity::find()
                .filter(tenant::Column::Id.is_in(rows.iter().map(|r| r.tenant)))
                .all(db)
                .await?;
            Ok((rows, tenants))
        })
        .await?;
    let slugs: std::collections::HashMap<uuid::Uuid, String> =
        tenants.into_iter().map(|t| (t.id, t.slug)).collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.hostname, slugs.get(&row.tenant)?.clone())))
        .collect())
}

/// A live (active or suspended) tenant by slug, from the in-memory tenant map
/// when it holds the tenant (see [`crate::tenancy::cache`]), else from the catalog.
pub async fn by_slug(engine: &Engine, raw_slug: &str) -> Result<Option<RequestScope>> {
    let Ok(slug) = Slug::parse(raw_slug) else {
        return Ok(None);
    };
    let cache = engine.tenant_cache();
    let record = match cache.get(slug.as_str()) {
        Some(record) => record,
        None => {
            let generation = cache.generation();
            let Some(record) = engine.record_by_slug(&slug).await? else {
                return Ok(None);
            };
            let record = std::sync::Arc::new(record);
            cache.put(record.clone(), generation);
            record
        }
    };
    Ok(live_scope(engine, record))
}

/// The request scope of an active or suspended tenant; nothing otherwise.
fn live_scope(engine: &Engine, record: std::sync::Arc<TenantRecord>) -> Option<RequestScope> {
    let live = matches!(record.state, TenantState::Active | TenantState::Suspended);
    live.then(|| RequestScope::Tenant(engine.ctx_shared(record)))
}

/// A tenant still pending a signup's confirmation, by its slug (its host's
/// label on the base domain): what its confirmation link, and nothing else,
/// is answered for. Read from the catalog each time (such a tenant sees a
/// request or two).
pub async fn awaiting_confirmation(
    engine: &Engine,
    raw_slug: &str,
) -> Result<Option<RequestScope>> {
    let Ok(slug) = Slug::parse(raw_slug) else {
        return Ok(None);
    };
    Ok(engine
        .record_by_slug(&slug)
        .await?
        .filter(|record| record.state == TenantState::Pending)
        .map(|record| RequestScope::Tenant(engine.ctx(record))))
}

/// Like [`by_slug`], but always read from the catalog, bypassing the map
/// (operators' tools and tests that must see a change made elsewhere at once).
pub async fn by_slug_uncached(engine: &Engine, raw_slug: &str) -> Result<Option<RequestScope>> {
    let Ok(slug) = Slug::parse(raw_slug) else {
        return Ok(None);
    };
    Ok(engine
        .record_by_slug(&slug)
        .await?
        .and_then(|record| live_scope(engine, std::sync::Arc::new(record))))
}

#[cfg(test)]
mod tests {
    use super::normalise_host;

    #[test]
    fn host_normalisation_strips_port_and_case_and_refuses_junk() {
        assert_eq!(
            normalise_host("Acme.LocalHost:3000").as_deref(),
            Some("acme.localhost")
        );
        assert_eq!(
            normalise_host("acme.localhost.").as_deref(),
            Some("acme.localhost")
        );
        assert_eq!(normalise_host("acme.localhost:x"), None);
        assert_eq!(normalise_host(""), None);
    }
}
