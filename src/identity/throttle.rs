//! Sign-in throttling. Failed attempts are counted per account (per tenant,
//! or the console) and per client address, with the same GCRA limiter as
//! request rates (shared through Redis when configured). An attempt is
//! refused before the password is checked while either count is over its
//! limit; only failures count, so people who sign in often are never
//! slowed. The account key does not depend on whether the account exists,
//! so throttling reveals nothing about who has one.

use crate::cache::CacheKey;
use crate::error::{Error, Result};
use crate::ratelimit::Rate;
use crate::tenancy::{Engine, TenantCtx};
use std::net::IpAddr;
use std::time::Duration;

/// The client's address as the gateway established it (the TCP peer, or the
/// forwarded address when the peer is a trusted proxy); `None` when unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientIp(pub Option<IpAddr>);

/// Attempts refill over this period: `signin_attempts_per_account` failures
/// per account and `signin_attempts_per_ip` per address, at once or spread.
const WINDOW: Duration = Duration::from_secs(300);

/// An attempt allowed to proceed; report its failure with [`Attempt::failed`].
pub struct Attempt<'a> {
    engine: &'a Engine,
    keys: Vec<(CacheKey, Rate)>,
}

/// Where people sign in: a tenant, or the console.
pub enum Realm<'a> {
    Tenant(&'a TenantCtx),
    Console,
}

/// Starts a sign-in attempt on `realm` for `email` from `ip`, or refuses it
/// while throttled.
pub async fn begin<'a>(
    engine: &'a Engine,
    realm: Realm<'_>,
    email: &str,
    ip: ClientIp,
) -> Result<Attempt<'a>> {
    let settings = engine.settings();
    let account = email.trim().to_lowercase();
    let (realm_name, account_key) = match realm {
        Realm::Tenant(ctx) => ("tenant", CacheKey::tenant(ctx, "signin.account", &account)),
        Realm::Console => (
            "console",
            CacheKey::platform("signin.console_account", &account),
        ),
    };
    let mut keys = vec![(
        account_key,
        Rate::per_period(
            settings.signin_attempts_per_account,
            WINDOW,
            settings.signin_attempts_per_account,
        ),
    )];
    if let ClientIp(Some(ip)) = ip {
        keys.push((
            CacheKey::platform("signin.ip", ip),
            Rate::per_period(
                settings.signin_attempts_per_ip,
                WINDOW,
                settings.signin_attempts_per_ip,
            ),
        ));
    }
    for (key, rate) in &keys {
        let decision = engine.rate_limiter().peek(key, *rate).await;
        if !decision.allowed {
            let wait = decision.retry_after;
            let retry_after_secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            tracing::warn!(realm = realm_name, "sign-in throttled");
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
    }
    Ok(Attempt { engine, keys })
}

impl Attempt<'_> {
    /// Counts the failure against the account and the address.
    pub async fn failed(self) {
        for (key, rate) in &self.keys {
            self.engine.rate_limiter().check(key, *rate).await;
        }
    }
}
