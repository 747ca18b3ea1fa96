//! Per-tenant OpenID Connect single sign-on. A tenant's admins configure
//! their provider (`config`); members sign in through the authorization-code
//! flow with PKCE, `state` and `nonce` bound to the browser session and the
//! tenant (`flow`); the ID token is checked against the provider's published
//! keys (`id_token`).

pub mod config;
pub mod flow;
pub mod id_token;

use crate::config::Settings;
use std::sync::OnceLock;

/// The HTTP client for discovery, keys and the code exchange, under the
/// outbound policy (`crate::outbound`): public addresses only (a tenant's
/// admin chooses these URLs, and must not reach the platform's network
/// through them) unless `sso_allow_private_providers` is set; no redirects
/// followed, no proxy from the environment, ten seconds at most.
pub(crate) fn http(settings: &Settings) -> &'static reqwest::Client {
    static PUBLIC: OnceLock<reqwest::Client> = OnceLock::new();
    static ANY: OnceLock<reqwest::Client> = OnceLock::new();
    let public_only = !crate::outbound::Destination::SsoProvider.private_allowed(settings);
    let cell = if public_only { &PUBLIC } else { &ANY };
    cell.get_or_init(|| {
        crate::outbound::client(
            crate::outbound::Destination::SsoProvider,
            settings,
            std::time::Duration::from_secs(10),
            "Tenantry-SSO/1",
        )
    })
}
