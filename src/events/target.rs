//! What a webhook endpoint may be: an http(s) URL to a public address, a
//! list of event kinds, a short description. Checked when an endpoint is
//! saved and again before each delivery (the deployment's policy may change).

use super::EventKind;
use crate::error::{Error, Result};
use crate::tenancy::Engine;

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
    let insecure_ok = crate::outbound::Destination::Webhook.private_allowed(engine.settings());
    match url.scheme() {
        "https" => {}
        "http" if insecure_ok => {}
        "http" => return Err(Error::invalid("url", "must use https")),
        _ => return Err(Error::invalid("url", "must be an http(s) URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid("url", "must not contain credentials"));
    }
    if url.host_str().is_none() {
        return Err(Error::invalid("url", "must name a host"));
    }
    if !insecure_ok && crate::outbound::names_private_host(&url) {
        return Err(Error::invalid("url", "must not point to a private address"));
    }
    Ok(url)
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
