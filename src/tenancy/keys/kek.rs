//! The platform's key-encryption keys (KEKs): they wrap every tenant's data
//! key and are never stored beside them. [`KeyEncryptionKey`] is the small
//! trait a KMS sits behind; [`LocalKek`] is a key from the settings or a
//! file. [`Keks`] is the current KEK and those it replaced, so that a KEK
//! rotation re-wraps the data keys without re-encrypting any data.

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::seal::cipher::{self, Key};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Wraps and unwraps data keys. `context` names the key wrapped (tenant and
/// generation): a wrapped key copied to another tenant does not unwrap.
#[async_trait::async_trait]
pub trait KeyEncryptionKey: Send + Sync {
    /// A stable, non-secret name of this KEK, stored beside what it wrapped.
    fn id(&self) -> &str;
    async fn wrap(&self, key: &[u8], context: &[u8]) -> Result<Vec<u8>>;
    /// `None` when `wrapped` was not wrapped by this KEK for `context`.
    async fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Option<Vec<u8>>>;
    /// A MAC of `message` for `purpose` (the platform signs its export
    /// manifests with it, so it knows its own archives).
    async fn mac(&self, purpose: &str, message: &[u8]) -> Result<Vec<u8>>;
}

/// A KEK held in this process: 32 bytes from the settings or a file.
pub struct LocalKek {
    id: String,
    key: Key,
    mac_key: ring::hmac::Key,
}

impl LocalKek {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != cipher::KEY_LEN {
            return Err(cipher::unexpected("a key-encryption key must be 32 bytes"));
        }
        // The id commits to the key without revealing it.
        let digest = Sha256::digest([b"tenantry-kek-id:".as_slice(), bytes].concat());
        Ok(Self {
            id: format!("local:{}", &hex::encode(digest)[..16]),
            key: Key::from_bytes(bytes)?,
            // Its own key for MACs, derived: never the wrapping key itself.
            mac_key: ring::hmac::Key::new(
                ring::hmac::HMAC_SHA256,
                &Sha256::digest([b"tenantry-kek-mac:".as_slice(), bytes].concat()),
            ),
        })
    }

    fn from_hex(field: &'static str, text: &str) -> Result<Self> {
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == cipher::KEY_LEN)
            .ok_or_else(|| config_error(field, "must be 32 bytes, hex"))?;
        Self::from_bytes(&bytes)
    }
}

#[async_trait::async_trait]
impl KeyEncryptionKey for LocalKek {
    fn id(&self) -> &str {
        &self.id
    }

    async fn wrap(&self, key: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        self.key.seal(key, context)
    }

    async fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.key.open(wrapped, context))
    }

    async fn mac(&self, purpose: &str, message: &[u8]) -> Result<Vec<u8>> {
        let mut context = ring::hmac::Context::with_key(&self.mac_key);
        context.update(purpose.as_bytes());
        context.update(&[0]);
        context.update(message);
        Ok(context.sign().as_ref().to_vec())
    }
}

/// The current KEK, which wraps every new data key, and the retired ones,
/// which only unwrap.
#[derive(Clone)]
pub struct Keks {
    current: Arc<dyn KeyEncryptionKey>,
    retired: Vec<Arc<dyn KeyEncryptionKey>>,
}

impl Keks {
    pub fn new(
        current: Arc<dyn KeyEncryptionKey>,
        retired: Vec<Arc<dyn KeyEncryptionKey>>,
    ) -> Self {
        Self { current, retired }
    }

    /// From `[encryption]`: `key`, else `key_file`, else derived from
    /// `secret_key`; `retired_keys` beside it.
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        let section = &settings.encryption;
        let current =
            match (&section.key, &section.key_file, &settings.secret_key) {
                (Some(key), _, _) => LocalKek::from_hex("encryption.key", key.expose_secret())?,
                (None, Some(path), _) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        config_error("encryption.key_file", &format!("cannot be read: {e}"))
                    })?;
                    LocalKek::from_hex("encryption.key_file", &text)?
                }
                (None, None, Some(secret)) => {
                    let derived = Sha256::digest(
                        [
                            b"tenantry-kek:".as_slice(),
                            secret.expose_secret().trim().as_bytes(),
                        ]
                        .concat(),
                    );
                    LocalKek::from_bytes(&derived)?
                }
                (None, None, None) => return Err(config_error(
                    "encryption.key",
                    "no key-encryption key: set encryption.key, encryption.key_file or secret_key",
                )),
            };
        let mut retired: Vec<Arc<dyn KeyEncryptionKey>> = Vec::new();
        if let Some(list) = &section.retired_keys {
            for hex_key in list
                .expose_secret()
                .split(',')
                .filter(|k| !k.trim().is_empty())
            {
                retired.push(Arc::new(LocalKek::from_hex(
                    "encryption.retired_keys",
                    hex_key,
                )?));
            }
        }
        Ok(Self::new(Arc::new(current), retired))
    }

    pub fn current(&self) -> &Arc<dyn KeyEncryptionKey> {
        &self.current
    }

    /// Every KEK, the current one first.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn KeyEncryptionKey>> {
        std::iter::once(&self.current).chain(&self.retired)
    }

    /// The KEK with this id, current or retired.
    pub fn by_id(&self, id: &str) -> Option<&Arc<dyn KeyEncryptionKey>> {
        self.all().find(|kek| kek.id() == id)
    }
}

/// Names the setting, never its value.
fn config_error(field: &'static str, reason: &str) -> Error {
    Error::Unexpected(anyhow::anyhow!("{field}: {reason}"))
}
