//! Random single-purpose secrets (API keys, invitation and reset links) and
//! how they are kept: only a SHA-256 digest is stored, and digests are
//! compared in constant time. The secrets carry 256 bits of randomness, so a
//! fast digest is enough (a password hash would only slow every request).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, hex.
pub fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` is the one whose digest is `stored`, in time that does not
/// depend on where they differ.
pub fn matches(secret: &str, stored: &str) -> bool {
    same_text(&digest(secret), stored)
}

/// Whether two texts are equal, in time that does not depend on where they
/// differ (state and nonce comparisons).
pub fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_its_digest_and_nothing_else() {
        let secret = random();
        assert_eq!(secret.len(), 64);
        let stored = digest(&secret);
        assert!(matches(&secret, &stored));
        assert!(!matches(&random(), &stored));
        assert!(!matches(&secret, &stored[..10]));
    }
}
