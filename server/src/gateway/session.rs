//! Cookie sessions stored in the catalog. Host-only cookies (no `Domain`), so a
//! browser never sends one tenant's cookie to another host; `Secure` and the
//! `__Host-` prefix when served over https. A session ends after a week
//! without use (`tenantry::session` moves the expiry as it is used).

use tenantry::session::CatalogSessionStore;
use tenantry::tenancy::Engine;
use tower_sessions::cookie::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub fn layer(engine: &Engine) -> SessionManagerLayer<CatalogSessionStore> {
    let secure = engine.settings().secure_cookies;
    SessionManagerLayer::new(CatalogSessionStore::new(engine.clone()))
        .with_name(if secure { "__Host-sid" } else { "sid" })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::days(
            tenantry::session::IDLE_DAYS,
        )))
}
