//! Per-tenant data keys (envelope encryption). Every tenant has its own
//! 256-bit data key, wrapped by the platform's key-encryption key
//! ([`Keks`]) and kept in the keyring ([`store`]), a database apart from
//! the data. The tenant's secrets, its uploaded files and its export
//! archives are sealed with it ([`TenantKeys`]), with the tenant's id and
//! the column or object name as associated data, so a value copied to
//! another tenant or column does not open. Destroying a tenant's keys makes
//! everything sealed with them unreadable, in every copy (crypto-shredding,
//! `lifecycle::purge`). See `docs/encryption.md`.

mod columns;
mod kek;
mod keyring;
pub(crate) use keyring::mark_keyed;
pub mod personal;
mod store;

pub use columns::{
    Legacy, SealedColumn, MEMBER_FACTOR_SECRET, SEALED_COLUMNS, SSO_CLIENT_SECRET,
    WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET,
};
pub use kek::{Keks, KeyEncryptionKey, LocalKek};
pub use personal::Personal;
pub(crate) use store::migrate;

use super::{TenantCtx, TenantId};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::seal::cipher;
use base64::Engine as _;
use sea_orm::DatabaseConnection;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a sealed text starts with: `tk1.<generation>.<base64>`.
const TEXT_PREFIX: &str = "tk1.";
/// What a blind index starts with.
const INDEX_PREFIX: &str = "bi1.";
/// The keyring generation holding a tenant's index key, not a data key.
pub(crate) const INDEX_GENERATION: i32 = 0;
/// What a sealed object starts with, before its generation (4 bytes).
const OBJECT_MAGIC: &[u8; 4] = b"TKO1";

/// The keyring and the keys this instance has unwrapped lately.
pub(crate) struct Keyring {
    /// Connected on first use: an instance that never needs a key never
    /// opens the keyring.
    db: tokio::sync::OnceCell<DatabaseConnection>,
    settings: Settings,
    keks: std::result::Result<Keks, String>,
    cache: Mutex<HashMap<uuid::Uuid, (Instant, Arc<TenantKeys>)>>,
    ttl: Duration,
    legacy_sealer: Option<Arc<crate::seal::Sealer>>,
}

impl Keyring {
    pub(crate) fn new(settings: &Settings) -> Self {
        Self {
            db: tokio::sync::OnceCell::new(),
            settings: settings.clone(),
            // A deployment without a KEK runs; what needs a key says why not.
            keks: Keks::from_settings(settings).map_err(|e| format!("{:#}", anyhow_of(e))),
            cache: Mutex::new(HashMap::new()),
            ttl: Duration::from_secs(settings.encryption.cache_secs),
            legacy_sealer: crate::seal::Sealer::from_settings(settings)
                .ok()
                .map(Arc::new),
        }
    }

    async fn db(&self) -> Result<&DatabaseConnection> {
        self.db
            .get_or_try_init(|| store::connect(&self.settings))
            .await
    }

    fn keks(&self) -> Result<&Keks> {
        self.keks
            .as_ref()
            .map_err(|why| Error::Unexpected(anyhow::anyhow!("{why}")))
    }

    fn forget(&self, tenant: TenantId) {
        self.cache.lock().expect("key cache").remove(&tenant.uuid());
    }
}

fn anyhow_of(e: Error) -> anyhow::Error {
    match e {
        Error::Unexpected(inner) => inner,
        other => anyhow::anyhow!("{other}"),
    }
}

/// One tenant's data keys, unwrapped: every live generation, and the one
/// new values are sealed with.
pub struct TenantKeys {
    tenant: TenantId,
    keys: BTreeMap<i32, cipher::Key>,
    /// When each generation was made: a new one seals only once every
    /// instance has had time to load it (see [`TenantKeys::sealing`]).
    made: BTreeMap<i32, chrono::DateTime<chrono::Utc>>,
    settle: chrono::Duration,
    /// Opens values sealed with `secret_key` before tenants had keys.
    legacy_sealer: Option<Arc<crate::seal::Sealer>>,
    /// The key of the tenant's blind indexes (generation 0 in the
    /// keyring): never rotated, as an index must stay the same to be
    /// looked up; destroyed with the data keys.
    index_key: Option<ring::hmac::Key>,
}

impl TenantKeys {
    /// The generation new values are sealed with: the newest one every
    /// instance knows by now (made at least two cache lifetimes ago), or the
    /// first when it is the only one.
    pub fn sealing(&self) -> i32 {
        let settled = chrono::Utc::now() - self.settle;
        self.made
            .iter()
            .rev()
            .find(|(_, made)| **made <= settled)
            .or_else(|| self.made.iter().next())
            .map(|(generation, _)| *generation)
            .unwrap_or(1)
    }

    fn context(&self, name: &str) -> Vec<u8> {
        format!("tenantry:{}:{name}", self.tenant).into_bytes()
    }

    fn key(&self, generation: i32) -> Result<&cipher::Key> {
        self.keys.get(&generation).ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!(
                "tenant {}: data key generation {generation} is not in the keyring",
                self.tenant
            ))
        })
    }

    /// `plain` sealed as the value named `name` (a column, `table.column`).
    pub fn seal(&self, name: &str, plain: &str) -> Result<String> {
        let generation = self.sealing();
        let sealed = self
            .key(generation)?
            .seal(plain.as_bytes(), &self.context(name))?;
        Ok(format!(
            "{TEXT_PREFIX}{generation}.{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(sealed)
        ))
    }

    /// The plain value of what [`TenantKeys::seal`] made for this tenant
    /// and `name`. Fails for anything else: another tenant's or column's
    /// value, a destroyed generation, a tampered value.
    pub fn open(&self, name: &str, text: &str) -> Result<String> {
        let fail = || {
            Error::Unexpected(anyhow::anyhow!(
                "tenant {}: a sealed {name} does not open",
                self.tenant
            ))
        };
        let (generation, body) = parse_text(text).ok_or_else(fail)?;
        let sealed = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| fail())?;
        let plain = self
            .key(generation)?
            .open(&sealed, &self.context(name))
            .ok_or_else(fail)?;
        String::from_utf8(plain).map_err(|_| fail())
    }

    /// A stored value of `column`, opened: sealed with this tenant's key,
    /// or stored before sealing existed ([`Legacy`]).
    pub fn open_column(&self, column: &SealedColumn, stored: &str) -> Result<String> {
        if is_sealed_text(stored) {
            return self.open(column.name, stored);
        }
        match column.legacy {
            Legacy::Plain => Ok(stored.to_owned()),
            Legacy::Sealer | Legacy::SealerBytes => {
                let sealer = self.legacy_sealer.as_ref().ok_or_else(|| {
                    cipher::unexpected("a value sealed with secret_key, and secret_key is not set")
                })?;
                let plain = sealer.open(stored)?;
                match column.legacy {
                    Legacy::SealerBytes => Ok(hex::encode(plain)),
                    _ => String::from_utf8(plain)
                        .map_err(|_| cipher::unexpected("a sealed value is not text")),
                }
            }
        }
    }

    /// The blind index of `value` in `column`: a keyed digest (HMAC-SHA256
    /// by the tenant's index key) of the value as it is compared (trimmed,
    /// lower-case), equal for equal values and telling nothing without the
    /// key. Another tenant or column gets another index for the same value.
    pub fn blind_index(&self, column: &SealedColumn, value: &str) -> Result<String> {
        let key = self
            .index_key
            .as_ref()
            .ok_or_else(|| cipher::unexpected("the tenant's index key is not in the keyring"))?;
        let mut context = ring::hmac::Context::with_key(key);
        context.update(column.name.as_bytes());
        context.update(&[0]);
        context.update(value.trim().to_lowercase().as_bytes());
        Ok(format!(
            "{INDEX_PREFIX}{}",
            hex::encode(context.sign().as_ref())
        ))
    }

    /// Whether `text` is sealed with the generation new values get.
    pub fn is_current_text(&self, text: &str) -> bool {
        parse_text(text).is_some_and(|(generation, _)| generation == self.sealing())
    }

    /// An object's bytes sealed as the object `name`.
    pub fn seal_bytes(&self, name: &str, plain: &[u8]) -> Result<Vec<u8>> {
        let generation = self.sealing();
        let sealed = self.key(generation)?.seal(plain, &self.context(name))?;
        let mut out = Vec::with_capacity(8 + sealed.len());
        out.extend_from_slice(OBJECT_MAGIC);
        out.extend_from_slice(&generation.to_be_bytes());
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// An object's plain bytes. One stored before objects were sealed (no
    /// header) is returned as it is; a key rotation seals it.
    pub fn open_bytes(&self, name: &str, stored: &[u8]) -> Result<Vec<u8>> {
        let Some((generation, sealed)) = parse_object(stored) else {
            return Ok(stored.to_vec());
        };
        self.key(generation)?
            .open(sealed, &self.context(name))
            .ok_or_else(|| {
                Error::Unexpected(anyhow::anyhow!(
                    "tenant {}: the sealed object {name} does not open",
                    self.tenant
                ))
            })
    }

    /// Whether stored object bytes are sealed with the current generation.
    pub fn is_current_object(&self, stored: &[u8]) -> bool {
        parse_object(stored).is_some_and(|(generation, _)| generation == self.sealing())
    }
}

/// Whether a stored text is a sealed value (not a legacy plain one).
pub fn is_sealed_text(text: &str) -> bool {
    parse_text(text).is_some()
}

fn parse_text(text: &str) -> Option<(i32, &str)> {
    let rest = text.strip_prefix(TEXT_PREFIX)?;
    let (generation, body) = rest.split_once('.')?;
    // A sealed body is base64 (no padding) of a nonce, the value and a
    // tag: 38 characters at least, and nothing else. An address such as
    // `tk1.2.bob@example.com` is not one.
    let sealed_body = body.len() >= 38
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    if !sealed_body {
        return None;
    }
    Some((generation.parse().ok()?, body))
}

fn parse_object(stored: &[u8]) -> Option<(i32, &[u8])> {
    let rest = stored.strip_prefix(OBJECT_MAGIC.as_slice())?;
    let (generation, sealed) = rest.split_at_checked(4)?;
    Some((i32::from_be_bytes(generation.try_into().ok()?), sealed))
}

impl TenantCtx {
    /// This tenant's data keys.
    pub async fn keys(&self) -> Result<Arc<TenantKeys>> {
        self.engine().tenant_keys(self.id()).await
    }
}

#[cfg(test)]
mod tests;
