//! Sealing secrets at rest: ChaCha20-Poly1305 with the deployment's
//! `secret_key`, a random nonce per value, stored as base64(nonce ‖ sealed).

use crate::config::Settings;
use crate::error::{Error, Result};
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::ExposeSecret;

pub struct Sealer(LessSafeKey);

impl Sealer {
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        let hex_key = settings.secret_key.as_ref().ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!(
                "secret_key is not set: it is needed to keep certificate keys sealed"
            ))
        })?;
        let bytes = hex::decode(hex_key.expose_secret().trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                Error::Unexpected(anyhow::anyhow!("secret_key must be 32 bytes, hex"))
            })?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| Error::Unexpected(anyhow::anyhow!("secret_key rejected")))?;
        Ok(Self(LessSafeKey::new(key)))
    }

    pub fn seal(&self, plain: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::Unexpected(anyhow::anyhow!("no randomness")))?;
        let mut sealed = plain.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut sealed,
            )
            .map_err(|_| Error::Unexpected(anyhow::anyhow!("sealing failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
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
        if raw.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::empty(), &mut sealed)
            .map_err(|_| fail())?;
        Ok(plain.to_vec())
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
}
