//! Per-tenant OpenID Connect single sign-on. A tenant's admins configure
//! their provider (`config`); members sign in through the authorization-code
//! flow with PKCE, `state` and `nonce` bound to the browser session and the
//! tenant (`flow`); the ID token is checked against the provider's published
//! keys (`id_token`).

pub mod config;
pub mod flow;
pub mod id_token;

/// The HTTP client for discovery, keys and the code exchange: it never
/// follows redirects (a provider cannot bounce us to an internal address),
/// takes no proxy from the environment, and gives up after ten seconds.
pub(crate) fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        crate::outbound::client(std::time::Duration::from_secs(10), "Tenantry-SSO/1", false)
    })
}
