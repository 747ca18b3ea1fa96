//! Host names tenants may bring: normalised (IDNA to ASCII, lowercase, no
//! trailing dot) and checked (no scheme, path, port or IP address, proper
//! labels, not the platform's own names).

use crate::config::Settings;
use crate::error::{Error, Result};

const FIELD: &str = "hostname";

/// A host name a tenant may bring, as [`parse`] accepted it: normalised and
/// checked, so code that holds one need not check it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostname(String);

impl Hostname {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Hostname {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The normalised host name, or a field error saying what is wrong.
pub fn parse(settings: &Settings, raw: &str) -> Result<Hostname> {
    let raw = raw.trim().trim_end_matches('.');
    if raw.is_empty() {
        return Err(Error::invalid(FIELD, "is required"));
    }
    if raw.contains("://") || raw.contains('/') || raw.contains('?') || raw.contains('#') {
        return Err(Error::invalid(
            FIELD,
            "enter a host name only, like app.example.com (no scheme or path)",
        ));
    }
    if raw.starts_with('[') || raw.parse::<std::net::IpAddr>().is_ok() {
        return Err(Error::invalid(
            FIELD,
            "must be a host name, not an IP address",
        ));
    }
    if raw.contains(':') {
        return Err(Error::invalid(FIELD, "must not include a port"));
    }
    let host = match url::Host::parse(raw) {
        Ok(url::Host::Domain(ascii)) => ascii.to_ascii_lowercase(),
        Ok(_) => {
            return Err(Error::invalid(
                FIELD,
                "must be a host name, not an IP address",
            ))
        }
        Err(_) => return Err(Error::invalid(FIELD, "is not a valid host name")),
    };
    check_labels(&host)?;
    let base = &settings.base_domain;
    if host == *base || host.ends_with(&format!(".{base}")) || host == settings.console_host() {
        return Err(Error::invalid(
            FIELD,
            format!("must not be under {base}: those names are the platform's own"),
        ));
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return Err(Error::invalid(FIELD, "must be a public host name"));
    }
    Ok(Hostname(host))
}

fn check_labels(host: &str) -> Result<()> {
    if host.len() > 253 {
        return Err(Error::invalid(FIELD, "must be at most 253 characters"));
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Err(Error::invalid(
            FIELD,
            "must be a full host name, like app.example.com",
        ));
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(Error::invalid(FIELD, "is not a valid host name"));
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(FIELD, "is not a valid host name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_pairs(&[("base_domain", "saas.example")]).expect("settings")
    }

    #[test]
    fn host_names_are_normalised() {
        let s = settings();
        for (raw, want) in [
            ("App.Acme-Corp.COM", "app.acme-corp.com"),
            ("  app.acme.com.  ", "app.acme.com"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        ] {
            assert_eq!(
                parse(&s, raw).ok().map(|h| h.to_string()).as_deref(),
                Some(want),
                "{raw}"
            );
        }
    }

    #[test]
    fn bad_host_names_say_why() {
        let s = settings();
        for (raw, reason) in [
            ("", "required"),
            ("https://app.acme.com", "no scheme"),
            ("app.acme.com/login", "no scheme or path"),
            ("app.acme.com:8443", "port"),
            ("192.0.2.1", "IP address"),
            ("[2001:db8::1]", "IP address"),
            ("acme", "full host name"),
            ("-bad.acme.com", "not a valid"),
            ("a_b.acme.com", "not a valid"),
            ("acme.123", "not a valid"),
            ("acme.saas.example", "platform's own"),
            ("saas.example", "platform's own"),
            ("admin.saas.example", "platform's own"),
            ("shop.localhost", "public host name"),
        ] {
            let err = parse(&s, raw).expect_err(raw).to_string();
            assert!(err.contains(reason), "{raw}: {err}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(parse(&s, &long).is_err());
    }
}
