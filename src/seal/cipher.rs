//! The one cipher under every key: ChaCha20-Poly1305 with a random 96-bit
//! nonce per value, the nonce stored in front of the sealed bytes, and
//! associated data naming what the value is (for a tenant's keys, the
//! tenant and the column or object), so a ciphertext moved anywhere else
//! does not open. The deployment's `secret_key` ([`super::Sealer`]) and
//! every key of the tenants' hierarchy (`tenancy::keys`) seal with it.

use crate::error::{Error, Result};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

pub(crate) const KEY_LEN: usize = 32;

/// A 256-bit key, unwrapped, in memory only.
pub(crate) struct Key(LessSafeKey);

impl Key {
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes)
            .map_err(|_| unexpected("a key must be 32 bytes"))?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// `nonce ‖ ciphertext ‖ tag`.
    pub(crate) fn seal(&self, plain: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| unexpected("no randomness"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let tag = self
            .0
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut out[NONCE_LEN..],
            )
            .map_err(|_| unexpected("sealing failed"))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// The plain bytes of what [`Key::seal`] made with the same context;
    /// `None` for anything else (another key, another context, tampered).
    pub(crate) fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(context), &mut body)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// 32 fresh random bytes: a new data key.
pub(crate) fn random_key() -> Result<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| unexpected("no randomness"))?;
    Ok(key)
}

pub(crate) fn unexpected(message: &'static str) -> Error {
    Error::Unexpected(anyhow::anyhow!(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_with_its_key_and_its_context() {
        let key = Key::from_bytes(&random_key().expect("key")).expect("key");
        let sealed = key.seal(b"whsec_1", b"t1|webhook").expect("seal");
        assert_eq!(
            key.open(&sealed, b"t1|webhook").as_deref(),
            Some(&b"whsec_1"[..])
        );
        assert_eq!(key.open(&sealed, b"t2|webhook"), None, "another tenant");
        assert_eq!(key.open(&sealed, b"t1|sso"), None, "another column");
        let other = Key::from_bytes(&random_key().expect("key")).expect("key");
        assert_eq!(other.open(&sealed, b"t1|webhook"), None, "another key");
        let mut tampered = sealed.clone();
        *tampered.last_mut().expect("byte") ^= 1;
        assert_eq!(key.open(&tampered, b"t1|webhook"), None, "tampered");
        assert_ne!(
            sealed,
            key.seal(b"whsec_1", b"t1|webhook").expect("seal"),
            "fresh nonce"
        );
    }
}
