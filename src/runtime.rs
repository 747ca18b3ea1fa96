//! The runtime context: the isolation engine ([`Engine`], `src/tenancy`)
//! with the services the application runs beside it — lifecycle events,
//! object storage, plans and flags in memory, rate limits, Redis, counted
//! API calls — and the loader of a tenant's full record. The engine knows
//! none of them: [`connect`] opens it and installs them, and the methods
//! below reach them from any `Engine`.

use crate::config::{Backend, Settings};
use crate::error::Result;
use crate::tenancy::Engine;
use std::sync::Arc;

mod records;

/// What the application runs beside the isolation engine.
struct Services {
    /// Lifecycle event subscribers and the dispatcher's wake-up.
    events: crate::events::Bus,
    /// Tenants' files (logos, favicons, export archives).
    storage: crate::storage::Storage,
    /// Plans and flags in memory; see [`crate::policy`].
    policy: Arc<crate::policy::PolicyCache>,
    /// Per-tenant request rate limits; see [`crate::ratelimit`].
    rate_limiter: crate::ratelimit::RateLimiter,
    /// Values under tenant-scoped keys; see [`crate::cache`].
    cache: crate::cache::Cache,
    redis: Option<Arc<crate::redis::Redis>>,
    /// API calls counted per tenant until the next usage flush.
    api_calls: crate::billing::platform_usage::ApiCallCounter,
    /// Sessions without a catalog read per request.
    sessions: Arc<crate::session::SessionCache>,
    /// The SMTP transport, built once (its connection pool serves every
    /// mail job): none without `smtp_url`; an invalid URL is kept as its
    /// error, which every send reports.
    mail: std::result::Result<Option<crate::mail::transport::Transport>, String>,
}

/// Opens the isolation engine as the runtime role and installs the services
/// and the record loader.
pub async fn connect(settings: &Settings) -> Result<Engine> {
    let engine = Engine::open(settings).await?;
    let redis = crate::redis::Redis::from_settings(settings)?.map(Arc::new);
    let policy = crate::policy::PolicyCache::new(
        redis.as_ref().map(|r| r.client()),
        (settings.backend() == Backend::Postgres).then(|| settings.runtime_url()),
    );
    let services = Services {
        events: crate::events::Bus::default(),
        storage: crate::storage::Storage::from_settings(settings)?,
        policy,
        rate_limiter: crate::ratelimit::RateLimiter::new(redis.clone()),
        cache: match settings.backend() {
            Backend::Postgres => crate::cache::Cache::new(
                redis.clone(),
                Some(settings.runtime_url()),
                Some(engine.notifier()),
            ),
            Backend::Sqlite => crate::cache::Cache::new(redis.clone(), None, None),
        },
        redis,
        api_calls: Default::default(),
        sessions: match settings.backend() {
            Backend::Postgres => crate::session::SessionCache::listening(settings.runtime_url()),
            // One server process; the CLI may change sessions beside it.
            Backend::Sqlite => {
                crate::session::SessionCache::with_ttl(std::time::Duration::from_secs(1))
            }
        },
        mail: crate::mail::transport::Transport::from_settings(settings).map_err(|e| e.to_string()),
    };
    engine.install(Arc::new(services), Arc::new(records::CatalogRecords));
    Ok(engine)
}

impl Engine {
    fn runtime(&self) -> &Services {
        self.services::<Services>()
            .expect("the engine was opened without its services: connect through runtime::connect")
    }

    /// API calls not yet written as usage; see
    /// [`crate::billing::platform_usage`].
    pub fn api_calls(&self) -> &crate::billing::platform_usage::ApiCallCounter {
        &self.runtime().api_calls
    }

    /// Sessions held in memory; see [`crate::session::SessionCache`].
    pub fn session_cache(&self) -> &crate::session::SessionCache {
        &self.runtime().sessions
    }

    /// The SMTP transport; `None` when mail stays in the dev mailbox.
    pub(crate) fn mail_transport(&self) -> Result<Option<&crate::mail::transport::Transport>> {
        match &self.runtime().mail {
            Ok(transport) => Ok(transport.as_ref()),
            Err(e) => Err(anyhow::anyhow!("smtp settings: {e}").into()),
        }
    }

    /// Tenant-scoped object storage; see [`crate::storage`].
    pub fn storage(&self) -> &crate::storage::Storage {
        &self.runtime().storage
    }

    /// Every plan and flag, fresh (reloaded if a change was announced).
    pub async fn policy(&self) -> Result<Arc<crate::policy::Policy>> {
        self.runtime().policy.get(self.platform_tables()).await
    }

    /// The snapshot as held (loaded if it never was), without a freshness
    /// check: what entitlement checks use, since the gateway refreshes the
    /// snapshot at the start of every request and a check may run inside a
    /// tenant transaction that must not wait for another connection.
    pub async fn policy_held(&self) -> Result<Arc<crate::policy::Policy>> {
        self.runtime().policy.held(self.platform_tables()).await
    }

    /// The policy snapshot as held, without a freshness check (the gateway
    /// refreshes it for every request).
    pub fn policy_now(&self) -> Arc<crate::policy::Policy> {
        self.runtime().policy.now()
    }

    /// After a plan or flag change: reload here, and tell the other
    /// instances (Postgres notifies them by trigger; Redis is told here).
    pub(crate) async fn policy_changed(&self) -> Result<()> {
        let services = self.runtime();
        services.policy.reload_now(self.platform_tables()).await?;
        if let Some(redis) = &services.redis {
            if let Err(e) = redis.publish(crate::policy::REDIS_CHANNEL, "changed").await {
                tracing::error!(error = ?e, "could not broadcast a policy change; other instances refresh when their subscriber reconnects");
            }
        }
        Ok(())
    }

    /// Values under tenant-scoped keys; see [`crate::cache`].
    pub fn cache(&self) -> &crate::cache::Cache {
        &self.runtime().cache
    }

    pub fn rate_limiter(&self) -> &crate::ratelimit::RateLimiter {
        &self.runtime().rate_limiter
    }

    pub fn redis(&self) -> Option<&crate::redis::Redis> {
        self.runtime().redis.as_deref()
    }

    /// Lifecycle event subscribers; see [`crate::events`].
    pub fn events(&self) -> &crate::events::Bus {
        &self.runtime().events
    }
}
