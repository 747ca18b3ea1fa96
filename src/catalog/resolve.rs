//! Host → tenant. Fails closed: anything that is not exactly the console host,
//! a verified custom domain or a live tenant's subdomain of the base domain
//! resolves to nothing.

use crate::entities::catalog::tenant;
use crate::entities::tenant::branding;
use crate::error::Result;
use crate::tenancy::{Engine, RequestScope, Slug, TenantId, TenantRecord, TenantState};
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
                crate::domains::verified_hosts(engine)
                    .await?
                    .into_iter()
                    .collect();
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
            let Some(record) = load_record(engine, &slug).await? else {
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

/// Like [`by_slug`], but always read from the catalog, bypassing the map
/// (operators' tools and tests that must see a change made elsewhere at once).
pub async fn by_slug_uncached(engine: &Engine, raw_slug: &str) -> Result<Option<RequestScope>> {
    let Ok(slug) = Slug::parse(raw_slug) else {
        return Ok(None);
    };
    Ok(load_record(engine, &slug)
        .await?
        .and_then(|record| live_scope(engine, std::sync::Arc::new(record))))
}

/// A tenant's catalog record by slug, in any state.
pub async fn load_record(engine: &Engine, slug: &Slug) -> Result<Option<TenantRecord>> {
    let found = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(engine.platform_tables())
        .await?;
    with_branding(engine, found).await
}

/// A tenant's catalog record by id, in any state.
pub async fn load_record_by_id(engine: &Engine, id: TenantId) -> Result<Option<TenantRecord>> {
    let found = tenant::Entity::find_by_id(id.uuid())
        .one(engine.platform_tables())
        .await?;
    with_branding(engine, found).await
}

async fn with_branding(
    engine: &Engine,
    found: Option<tenant::Model>,
) -> Result<Option<TenantRecord>> {
    let Some(t) = found else {
        return Ok(None);
    };
    let defaults = crate::catalog::branding::default_for(t.id, &t.name);
    let mut record = TenantRecord::from_models(t, defaults)?;
    // What its admins manage is in its plane, read for a live tenant only
    // (a pending one may not be provisioned yet; a deleted one serves
    // nothing).
    if matches!(record.state, TenantState::Active | TenantState::Suspended) {
        let plane = engine.read_as_recorded(&record).await?;
        let stored = branding::Entity::find().one(&plane).await?;
        record.primary_host = crate::domains::primary_host(&plane).await?;
        record.overrides = crate::plans::overrides::load(&plane).await?;
        let account = crate::billing::accounts::platform_account(&plane).await?;
        record.past_due_since = account
            .as_ref()
            .and_then(crate::billing::accounts::past_due_since);
        record.sso_configured = crate::identity::sso::config::configured(&plane).await?;
        plane.commit().await?;
        if let Some(stored) = stored {
            record.branding = stored;
        }
    }
    Ok(Some(record))
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
