//! Sealing secrets at rest: ChaCha20-Poly1305 with the deployment's
//! `secret_key`, a random nonce per value, stored as base64(nonce ‖ sealed).

pub(crate) mod cipher;

use crate::config::Settings;
use crate::error::{Error, Result};
use base64::Engine as _;
use secrecy::ExposeSecret;

pub struct Sealer(cipher::Key);

impl Sealer {
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        let hex_key = settings.secret_key.as_ref().ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!(
                "secret_key is not set: it is needed to keep certificate keys sealed"
            ))
        })?;
        let bytes = hex::decode(hex_key.expose_secret().trim())
            .ok()
            .filter(|b| b.len() == cipher::KEY_LEN)
            .ok_or_else(|| {
                Error::Unexpected(anyhow::anyhow!("secret_key must be 32 bytes, hex"))
            })?;
        Ok(Self(cipher::Key::from_bytes(&bytes)?))
    }

    /// base64 of `nonce ‖ ciphertext ‖ tag`, with no associated data.
    pub fn seal(&self, plain: &[u8]) -> Result<String> {
        let sealed = self.0.seal(plain, b"")?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    pub fn open(&self, text: &str) -> Result<Vec<u8>> {
        let fail = || {
            Error::Unexpected(anyhow::anyhow!(
                "a sealed value does not open with secret_key"
            ))
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| fail())?;
        self.0.open(&raw, b"").ok_or_else(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(key: &str) -> Sealer {
        Sealer::from_settings(&Settings::from_pairs(&[("secret_key", key)]).expect("settings"))
            .expect("sealer")
    }

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let a = sealer(&"ab".repeat(32));
        let sealed = a.seal(b"-----BEGIN PRIVATE KEY-----").expect("seal");
        assert!(!sealed.contains("PRIVATE"));
        assert_eq!(
            a.open(&sealed).expect("open"),
            b"-----BEGIN PRIVATE KEY-----"
        );
        assert_ne!(
            a.seal(b"x").expect("seal"),
            a.seal(b"x").expect("seal"),
            "fresh nonce"
        );
        assert!(sealer(&"cd".repeat(32)).open(&sealed).is_err());
        assert!(Sealer::from_settings(
            &Settings::from_pairs(&[("secret_key", "short")]).expect("s")
        )
        .is_err());
    }

    #[test]
    fn values_sealed_before_the_shared_cipher_still_open() {
        // How values were sealed before (ring, empty associated data,
        // base64 of nonce ‖ ciphertext ‖ tag), done by hand.
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
        let key = [0xab_u8; 32];
        let ring_key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).expect("key"));
        let nonce = [7u8; 12];
        let mut body = b"totp-secret".to_vec();
        ring_key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
            .expect("seal");
        let old =
            base64::engine::general_purpose::STANDARD.encode([nonce.as_slice(), &body].concat());
        assert_eq!(
            sealer(&"ab".repeat(32)).open(&old).expect("open"),
            b"totp-secret"
        );
    }
}
