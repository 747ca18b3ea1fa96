//! Where an outgoing request goes, who chose that address, and whether it
//! may be private.

use super::address::{is_public, names_private_host};
use crate::config::Settings;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// A tenant's or the platform's webhook endpoint.
    Webhook,
    /// A tenant's OpenID Connect provider.
    SsoProvider,
    /// Stripe's API (`stripe_api_base`).
    Stripe,
    /// The ACME directory, and every URL it names.
    Acme,
    /// The SMTP relay (`smtp_url`).
    Mail,
}

impl Destination {
    /// Whether this destination may be at a private address: only where the
    /// deployment says so (development and tests, or an operator whose
    /// relay lives on its own network).
    pub fn private_allowed(self, settings: &Settings) -> bool {
        match self {
            Destination::Webhook => settings.webhook_allow_insecure_targets,
            Destination::SsoProvider => settings.sso_allow_private_providers,
            Destination::Stripe | Destination::Acme | Destination::Mail => {
                settings.outbound_allow_private_services
            }
        }
    }

    /// What names this destination's address, for the operator's errors.
    pub fn named_by(self) -> &'static str {
        match self {
            Destination::Webhook => "the webhook endpoint's url",
            Destination::SsoProvider => "the SSO provider's issuer",
            Destination::Stripe => "stripe_api_base",
            Destination::Acme => "acme_directory_url",
            Destination::Mail => "smtp_url",
        }
    }
}

/// Why a destination was not contacted. Says which setting to look at,
/// never the address's secrets (an SMTP URL may hold a password).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{named_by} is not at a public address ({reason}); nothing was sent")]
pub struct Refused {
    pub named_by: &'static str,
    pub reason: &'static str,
}

/// Checks the host of `url` before a request is sent there: a literal
/// address in any form, a `localhost` name, and every address the name
/// resolves to now (one private address is enough to refuse: the library
/// that connects may pick any of them).
pub async fn admit(
    destination: Destination,
    settings: &Settings,
    url: &url::Url,
) -> Result<(), Refused> {
    match destination.private_allowed(settings) {
        true => Ok(()),
        false => admit_public_only(destination, url).await,
    }
}

/// [`admit`] for a destination that may not be private.
pub async fn admit_public_only(destination: Destination, url: &url::Url) -> Result<(), Refused> {
    let refuse = |reason| Refused {
        named_by: destination.named_by(),
        reason,
    };
    if names_private_host(url) {
        return Err(refuse("it names a private host"));
    }
    let Some(host) = url.host_str() else {
        return Err(refuse("it names no host"));
    };
    // IPv6 literals come bracketed in URLs; the resolver takes them bare.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(443);
    let found: Vec<IpAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| refuse("its name does not resolve"))?
        .map(|a| a.ip())
        .collect();
    if found.is_empty() {
        return Err(refuse("its name does not resolve"));
    }
    if !found.into_iter().all(is_public) {
        return Err(refuse("its name resolves to a private address"));
    }
    Ok(())
}
