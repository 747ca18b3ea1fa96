//! The HTTP clients under the policy.

use super::address::is_public;
use super::Destination;
use crate::config::Settings;
use std::sync::Arc;
use std::time::Duration;

/// An HTTP client for `destination`: no redirects followed (a redirect could
/// lead anywhere), no proxy from the environment, `timeout`, and unless the
/// destination may be private, a resolver that returns public addresses
/// only (so DNS cannot point a request at the platform's own network).
pub fn client(
    destination: Destination,
    settings: &Settings,
    timeout: Duration,
    user_agent: &str,
) -> reqwest::Client {
    build(builder(destination, settings, timeout, user_agent))
}

pub(super) fn builder(
    destination: Destination,
    settings: &Settings,
    timeout: Duration,
    user_agent: &str,
) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .user_agent(user_agent);
    match destination.private_allowed(settings) {
        true => builder,
        false => builder.dns_resolver(Arc::new(PublicOnly)),
    }
}

/// The client, or one that reaches nothing when the configuration cannot
/// be built (every request then fails, and the reason is logged once here).
pub(super) fn build(builder: reqwest::ClientBuilder) -> reqwest::Client {
    builder.build().unwrap_or_else(|e| {
        tracing::error!(error = %e, "outbound client configuration failed; refusing to send");
        reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(Nowhere))
            .build()
            .unwrap_or_default()
    })
}

struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<std::net::SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err("the host has no public address".into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

struct Nowhere;

impl reqwest::dns::Resolve for Nowhere {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async { Err("outbound requests are disabled".into()) })
    }
}
