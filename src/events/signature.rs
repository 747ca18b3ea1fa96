//! Webhook signatures. Each delivery carries
//!
//! ```text
//! Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<hex …>]
//! ```
//!
//! where each `v1` is `HMAC-SHA256(secret, "<t>.<raw body>")` under one of the
//! endpoint's valid secrets (two while a rotation overlaps). A receiver
//! accepts the delivery when any `v1` matches its secret and `t` is recent.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

pub const HEADER: &str = "Webhook-Signature";
/// Secrets start with this, so they are recognisable when leaked.
pub const SECRET_PREFIX: &str = "whsec_";

type HmacSha256 = Hmac<Sha256>;

/// A fresh endpoint secret: 32 random bytes, hex, prefixed.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp`, one `v1` per secret.
pub fn sign(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let tag = mac(secret, timestamp, body).finalize().into_bytes();
        header.push_str(",v1=");
        header.push_str(&hex::encode(tag));
    }
    header
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance window")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a delivery as a receiver would: `now` and `tolerance_secs` bound
/// replays; the comparison is constant-time.
pub fn verify(
    header: &str,
    secret: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", tag)) => {
                tags.push(hex::decode(tag).map_err(|_| SignatureError::Malformed)?)
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    let matches = tags
        .iter()
        .any(|tag| mac(secret, timestamp, body).verify_slice(tag).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"type":"tenant.suspended"}"#;

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let header = sign(&["whsec_a"], 1_700_000_000, BODY);
        assert_eq!(verify(&header, "whsec_a", BODY, 1_700_000_010, 300), Ok(()));
        assert_eq!(
            verify(&header, "whsec_b", BODY, 1_700_000_010, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_tampered_body_or_timestamp_fails() {
        let header = sign(&["whsec_a"], 1_700_000_000, BODY);
        assert_eq!(
            verify(&header, "whsec_a", b"{}", 1_700_000_000, 300),
            Err(SignatureError::Mismatch)
        );
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(
            verify(&moved, "whsec_a", BODY, 1_700_000_000, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_stale_delivery_is_refused() {
        let header = sign(&["whsec_a"], 1_700_000_000, BODY);
        assert_eq!(
            verify(&header, "whsec_a", BODY, 1_700_000_301, 300),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn during_a_rotation_both_secrets_verify() {
        let header = sign(&["whsec_new", "whsec_old"], 1_700_000_000, BODY);
        assert_eq!(header.matches("v1=").count(), 2);
        assert_eq!(
            verify(&header, "whsec_new", BODY, 1_700_000_000, 300),
            Ok(())
        );
        assert_eq!(
            verify(&header, "whsec_old", BODY, 1_700_000_000, 300),
            Ok(())
        );
    }

    #[test]
    fn garbage_headers_are_malformed() {
        for header in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz"] {
            assert_eq!(
                verify(header, "whsec_a", BODY, 1, 300),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }

    #[test]
    fn secrets_are_fresh_and_prefixed() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(SECRET_PREFIX) && a.len() == SECRET_PREFIX.len() + 64);
        assert_ne!(a, b);
    }
}
