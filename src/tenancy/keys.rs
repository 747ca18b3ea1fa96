//! Per-tenant data keys (envelope encryption). Every tenant has its own
//! 256-bit data key, wrapped by the platform's key-encryption key
//! ([`Keks`]) and kept in the keyring ([`store`]), a database apart from
//! the data. The tenant's secrets, its uploaded files and its export
//! archives are sealed with it ([`TenantKeys`]), with the tenant's id and
//! the column or object name as associated data, so a value copied to
//! another tenant or column does not open. Destroying a tenant's keys makes
//! everything sealed with them unreadable, in every copy (crypto-shredding,
//! `lifecycle::purge`). See `docs/encryption.md`.

mod aead;
mod kek;
mod store;

pub use kek::{Keks, KeyEncryptionKey, LocalKek};
pub(crate) use store::migrate;

use super::{Engine, TenantCtx, TenantId};
use crate::config::Settings;
use crate::error::{Error, Result};
use base64::Engine as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a sealed text starts with: `tk1.<generation>.<base64>`.
const TEXT_PREFIX: &str = "tk1.";
/// What a sealed object starts with, before its generation (4 bytes).
const OBJECT_MAGIC: &[u8; 4] = b"TKO1";

/// A tenant-plane column whose values are sealed with the tenant's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// `table.column`: the associated data its values are sealed under.
    pub name: &'static str,
    /// How a value stored before sealing existed reads: as it is, or
    /// sealed with the deployment's `secret_key` (`crate::seal`).
    pub legacy: Legacy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    Plain,
    Sealer,
}

pub const WEBHOOK_SECRET: SealedColumn = SealedColumn {
    table: "webhook_endpoints",
    column: "secret",
    name: "webhook_endpoints.secret",
    legacy: Legacy::Plain,
};
pub const WEBHOOK_PREVIOUS_SECRET: SealedColumn = SealedColumn {
    table: "webhook_endpoints",
    column: "previous_secret",
    name: "webhook_endpoints.previous_secret",
    legacy: Legacy::Plain,
};
pub const SSO_CLIENT_SECRET: SealedColumn = SealedColumn {
    table: "sso_configs",
    column: "client_secret_sealed",
    name: "sso_configs.client_secret_sealed",
    legacy: Legacy::Sealer,
};

/// Every sealed column: what a key rotation seals again, and what the
/// tests look for in the clear.
pub const SEALED_COLUMNS: &[SealedColumn] =
    &[WEBHOOK_SECRET, WEBHOOK_PREVIOUS_SECRET, SSO_CLIENT_SECRET];

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
    keys: BTreeMap<i32, aead::Key>,
    /// When each generation was made: a new one seals only once every
    /// instance has had time to load it (see [`TenantKeys::sealing`]).
    made: BTreeMap<i32, chrono::DateTime<chrono::Utc>>,
    settle: chrono::Duration,
    /// Opens values sealed with `secret_key` before tenants had keys.
    legacy_sealer: Option<Arc<crate::seal::Sealer>>,
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

    fn key(&self, generation: i32) -> Result<&aead::Key> {
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
            Legacy::Sealer => {
                let sealer = self.legacy_sealer.as_ref().ok_or_else(|| {
                    aead::unexpected("a value sealed with secret_key, and secret_key is not set")
                })?;
                let plain = sealer.open(stored)?;
                String::from_utf8(plain).map_err(|_| aead::unexpected("a sealed value is not text"))
            }
        }
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
    Some((generation.parse().ok()?, body))
}

fn parse_object(stored: &[u8]) -> Option<(i32, &[u8])> {
    let rest = stored.strip_prefix(OBJECT_MAGIC.as_slice())?;
    let (generation, sealed) = rest.split_at_checked(4)?;
    Some((i32::from_be_bytes(generation.try_into().ok()?), sealed))
}

/// The context a data key is wrapped under: its tenant and generation.
fn wrap_context(tenant: uuid::Uuid, generation: i32) -> Vec<u8> {
    format!("tenantry-data-key:{tenant}:{generation}").into_bytes()
}

impl Engine {
    /// The tenant's data keys, from this instance's memory or the keyring.
    /// A tenant never given a key gets its first one now; a tenant whose
    /// keys were destroyed gets an error, never a new key.
    pub async fn tenant_keys(&self, tenant: TenantId) -> Result<Arc<TenantKeys>> {
        let keyring = self.keyring();
        if let Some((at, keys)) = keyring.cache.lock().expect("key cache").get(&tenant.uuid()) {
            if at.elapsed() < keyring.ttl {
                return Ok(keys.clone());
            }
        }
        let mut rows = store::generations(keyring.db().await?, tenant.uuid()).await?;
        if rows.is_empty() {
            if self.tenant_keyed(tenant).await? {
                return Err(Error::Unexpected(anyhow::anyhow!(
                    "tenant {tenant}: its data key was destroyed; its encrypted data cannot be read"
                )));
            }
            self.add_key_generation(tenant, 1).await?;
            rows = store::generations(keyring.db().await?, tenant.uuid()).await?;
        }
        let keks = keyring.keks()?;
        let mut keys = BTreeMap::new();
        let mut made = BTreeMap::new();
        for row in rows {
            let kek = keks.by_id(&row.kek).ok_or_else(|| {
                Error::Unexpected(anyhow::anyhow!(
                    "tenant {tenant}: its data key is wrapped by key-encryption key {}, which is not configured",
                    row.kek
                ))
            })?;
            let wrapped = base64::engine::general_purpose::STANDARD
                .decode(&row.wrapped)
                .map_err(|_| aead::unexpected("a wrapped data key is not base64"))?;
            let key = kek
                .unwrap(&wrapped, &wrap_context(row.tenant, row.generation))
                .await?
                .ok_or_else(|| aead::unexpected("a data key does not unwrap"))?;
            keys.insert(row.generation, aead::Key::from_bytes(&key)?);
            made.insert(row.generation, row.created_at);
        }
        let keys = Arc::new(TenantKeys {
            tenant,
            keys,
            made,
            settle: chrono::Duration::from_std(keyring.ttl * 2).unwrap_or_default(),
            legacy_sealer: keyring.legacy_sealer.clone(),
        });
        keyring
            .cache
            .lock()
            .expect("key cache")
            .insert(tenant.uuid(), (Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// Makes generation `generation` of the tenant's key and marks the
    /// tenant keyed. False when another instance made it first.
    pub(crate) async fn add_key_generation(
        &self,
        tenant: TenantId,
        generation: i32,
    ) -> Result<bool> {
        let keyring = self.keyring();
        let kek = keyring.keks()?.current();
        let key = aead::random_key()?;
        let wrapped = kek
            .wrap(&key, &wrap_context(tenant.uuid(), generation))
            .await?;
        let added = store::add(
            keyring.db().await?,
            store::Model {
                tenant: tenant.uuid(),
                generation,
                kek: kek.id().to_owned(),
                wrapped: base64::engine::general_purpose::STANDARD.encode(wrapped),
                created_at: chrono::Utc::now(),
            },
        )
        .await?;
        self.mark_keyed(tenant).await?;
        keyring.forget(tenant);
        Ok(added)
    }

    /// Starts a rotation: a new generation, which seals once every instance
    /// knows it (two cache lifetimes). Returns it and when it seals.
    pub async fn begin_key_rotation(
        &self,
        tenant: TenantId,
    ) -> Result<(i32, chrono::DateTime<chrono::Utc>)> {
        let keys = self.tenant_keys(tenant).await?;
        let next = keys.keys.keys().max().copied().unwrap_or(0) + 1;
        if !self.add_key_generation(tenant, next).await? {
            return Err(Error::conflict(
                "key",
                "a key rotation is already under way",
            ));
        }
        let settle = chrono::Duration::from_std(self.keyring().ttl * 2).unwrap_or_default();
        Ok((next, chrono::Utc::now() + settle))
    }

    /// Destroys every generation of the tenant's key older than `keep`.
    pub async fn retire_key_generations(&self, tenant: TenantId, keep: i32) -> Result<u64> {
        let keyring = self.keyring();
        let old: Vec<i32> = store::generations(keyring.db().await?, tenant.uuid())
            .await?
            .into_iter()
            .map(|row| row.generation)
            .filter(|generation| *generation < keep)
            .collect();
        let destroyed = store::destroy(keyring.db().await?, tenant.uuid(), Some(&old)).await?;
        keyring.forget(tenant);
        Ok(destroyed)
    }

    /// Destroys all the tenant's keys (crypto-shredding): everything sealed
    /// with them, in any copy of the data, no longer opens. Returns how many
    /// generations were destroyed.
    pub(crate) async fn destroy_tenant_keys(&self, tenant: TenantId) -> Result<u64> {
        let keyring = self.keyring();
        let destroyed = store::destroy(keyring.db().await?, tenant.uuid(), None).await?;
        keyring.forget(tenant);
        Ok(destroyed)
    }

    /// How many generations of the tenant's key the keyring holds.
    pub async fn key_generations(&self, tenant: TenantId) -> Result<Vec<i32>> {
        Ok(
            store::generations(self.keyring().db().await?, tenant.uuid())
                .await?
                .into_iter()
                .map(|row| row.generation)
                .collect(),
        )
    }

    /// Re-wraps every data key wrapped by a retired KEK with the current
    /// one (a KEK rotation): no data is re-encrypted. Returns how many.
    pub async fn rewrap_data_keys(&self) -> Result<usize> {
        let keyring = self.keyring();
        let keks = keyring.keks()?;
        let current = keks.current();
        let rows = store::wrapped_by_others(keyring.db().await?, current.id()).await?;
        for row in &rows {
            let context = wrap_context(row.tenant, row.generation);
            let kek = keks.by_id(&row.kek).ok_or_else(|| {
                Error::Unexpected(anyhow::anyhow!(
                    "a data key is wrapped by key-encryption key {}: add it to encryption.retired_keys",
                    row.kek
                ))
            })?;
            let wrapped = base64::engine::general_purpose::STANDARD
                .decode(&row.wrapped)
                .map_err(|_| aead::unexpected("a wrapped data key is not base64"))?;
            let key = kek
                .unwrap(&wrapped, &context)
                .await?
                .ok_or_else(|| aead::unexpected("a data key does not unwrap"))?;
            let rewrapped = current.wrap(&key, &context).await?;
            store::rewrap(
                keyring.db().await?,
                row,
                current.id(),
                base64::engine::general_purpose::STANDARD.encode(rewrapped),
            )
            .await?;
        }
        keyring.cache.lock().expect("key cache").clear();
        Ok(rows.len())
    }

    /// The platform's signature of `message` for `purpose`, by its current
    /// KEK: `<kek id>:<hex>`.
    pub async fn sign(&self, purpose: &str, message: &[u8]) -> Result<String> {
        let kek = self.keyring().keks()?.current();
        let mac = kek.mac(purpose, message).await?;
        Ok(format!("{}:{}", kek.id(), hex::encode(mac)))
    }

    /// Whether `signature` is this platform's (by its current or a retired
    /// KEK) over `message` for `purpose`.
    pub async fn verify(&self, purpose: &str, message: &[u8], signature: &str) -> Result<bool> {
        let keks = self.keyring().keks()?;
        let Some((id, mac)) = signature.trim().rsplit_once(':') else {
            return Ok(false);
        };
        let (Some(kek), Ok(mac)) = (keks.by_id(id), hex::decode(mac)) else {
            return Ok(false);
        };
        let expected = kek.mac(purpose, message).await?;
        // Compared in constant time.
        let differs = expected
            .iter()
            .zip(&mac)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        Ok(expected.len() == mac.len() && differs == 0)
    }

    /// Whether the catalog says the tenant was given a key.
    async fn tenant_keyed(&self, tenant: TenantId) -> Result<bool> {
        let backend = self.database_backend();
        let row = self
            .catalog()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                super::placeholders::for_backend(
                    backend,
                    "SELECT keyed FROM tenants WHERE id = $1",
                ),
                [tenant.uuid().into()],
            ))
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<bool>("", "keyed")?,
            // No tenant row: nothing of it can be keyed or read.
            None => return Err(Error::NotFound),
        })
    }

    async fn mark_keyed(&self, tenant: TenantId) -> Result<()> {
        let backend = self.database_backend();
        self.catalog()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                super::placeholders::for_backend(
                    backend,
                    "UPDATE tenants SET keyed = true WHERE id = $1 AND NOT keyed",
                ),
                [tenant.uuid().into()],
            ))
            .await?;
        Ok(())
    }
}

impl TenantCtx {
    /// This tenant's data keys.
    pub async fn keys(&self) -> Result<Arc<TenantKeys>> {
        self.engine().tenant_keys(self.id()).await
    }
}

#[cfg(test)]
mod tests;
