//! The engine's side of the keyring: loading a tenant's keys (and making
//! its first ones), adding and destroying generations, re-wrapping every
//! key under a new KEK, and the platform's own keyed digests and
//! signatures.

use super::{store, TenantKeys, INDEX_GENERATION};
use crate::error::{Error, Result};
use crate::seal::cipher;
use crate::tenancy::{Engine, TenantId};
use base64::Engine as _;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// The context a data key is wrapped under: its tenant and generation.
fn wrap_context(tenant: uuid::Uuid, generation: i32) -> Vec<u8> {
    format!("tenantry-data-key:{tenant}:{generation}").into_bytes()
}

/// The key a keyring row holds, unwrapped by the KEK that wrapped it
/// (current or retired).
async fn unwrap_row(keks: &super::Keks, row: &store::Model) -> Result<Vec<u8>> {
    let kek = keks.by_id(&row.kek).ok_or_else(|| {
        Error::Unexpected(anyhow::anyhow!(
            "tenant {}: a key is wrapped by key-encryption key {}, which is not configured (add it to encryption.retired_keys)",
            row.tenant,
            row.kek
        ))
    })?;
    let wrapped = base64::engine::general_purpose::STANDARD
        .decode(&row.wrapped)
        .map_err(|_| cipher::unexpected("a wrapped data key is not base64"))?;
    kek.unwrap(&wrapped, &wrap_context(row.tenant, row.generation))
        .await?
        .ok_or_else(|| cipher::unexpected("a data key does not unwrap"))
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
        }
        // Tenants keyed before blind indexes existed get their index key
        // on first use too.
        if !rows.iter().any(|row| row.generation == INDEX_GENERATION) {
            self.add_key_generation(tenant, INDEX_GENERATION).await?;
            rows = store::generations(keyring.db().await?, tenant.uuid()).await?;
        }
        let keks = keyring.keks()?;
        let mut keys = BTreeMap::new();
        let mut made = BTreeMap::new();
        let mut index_key = None;
        for row in rows {
            let key = unwrap_row(keks, &row).await?;
            if row.generation == INDEX_GENERATION {
                index_key = Some(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key));
                continue;
            }
            keys.insert(row.generation, cipher::Key::from_bytes(&key)?);
            made.insert(row.generation, row.created_at);
        }
        let keys = Arc::new(TenantKeys {
            tenant,
            keys,
            made,
            settle: chrono::Duration::from_std(keyring.ttl * 2).unwrap_or_default(),
            legacy_sealer: keyring.legacy_sealer.clone(),
            index_key,
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
        let key = cipher::random_key()?;
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
            .filter(|generation| (INDEX_GENERATION + 1..keep).contains(generation))
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

    /// The generations of the tenant's data key the keyring holds.
    pub async fn key_generations(&self, tenant: TenantId) -> Result<Vec<i32>> {
        Ok(self
            .keyring_rows(tenant)
            .await?
            .into_iter()
            .filter(|generation| *generation != INDEX_GENERATION)
            .collect())
    }

    /// Every key the keyring holds for the tenant (data keys and its index
    /// key), by generation: what a purge destroys.
    pub async fn keyring_rows(&self, tenant: TenantId) -> Result<Vec<i32>> {
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
            let key = unwrap_row(keks, row).await?;
            let context = wrap_context(row.tenant, row.generation);
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

    /// The platform's keyed digests of `message` for `purpose`, hex: by its
    /// current KEK first, then by each retired one (what was digested
    /// before the last KEK rotation is still found).
    pub async fn platform_digests(&self, purpose: &str, message: &[u8]) -> Result<Vec<String>> {
        let mut digests = Vec::new();
        for kek in self.keyring().keks()?.all() {
            digests.push(hex::encode(kek.mac(purpose, message).await?));
        }
        Ok(digests)
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
        let sql = "SELECT keyed FROM tenants WHERE id = $1";
        let row = self
            .catalog()
            .query_one_raw(about_tenant(self.database_backend(), sql, tenant))
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<bool>("", "keyed")?,
            // No tenant row: nothing of it can be keyed or read.
            None => return Err(Error::NotFound),
        })
    }

    async fn mark_keyed(&self, tenant: TenantId) -> Result<()> {
        self.catalog()
            .execute_raw(mark_keyed(self.database_backend(), tenant))
            .await?;
        Ok(())
    }
}

/// `sql` about one tenant's catalog row (`$1`, its id), as `backend`
/// spells it.
fn about_tenant(backend: DbBackend, sql: &str, tenant: TenantId) -> Statement {
    Statement::from_sql_and_values(
        backend,
        crate::tenancy::placeholders::for_backend(backend, sql),
        [tenant.uuid().into()],
    )
}

/// What marks the tenant keyed in the catalog (once it has a key).
pub(crate) fn mark_keyed(backend: DbBackend, tenant: TenantId) -> Statement {
    let sql = "UPDATE tenants SET keyed = true WHERE id = $1 AND NOT keyed";
    about_tenant(backend, sql, tenant)
}
