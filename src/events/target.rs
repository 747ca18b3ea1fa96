//! What a webhook endpoint may be: an http(s) URL to a public address, a
//! list of event kinds, a short description. Checked when an endpoint is
//! saved and again before each delivery (the deployment's policy may change).

use super::EventKind;
use crate::error::{Error, Result};
use crate::tenancy::Engine;
use std::net::IpAddr;

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
pub(crate) fn parse_events(raw: &str) -> Result<String> {
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

pub(crate) fn parse_description(raw: &str) -> Result<String> {
    let description = raw.trim();
    if description.chars().count() > 200 {
        return Err(Error::invalid(
            "description",
            "must be at most 200 characters",
        ));
    }
    Ok(description.to_owned())
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
