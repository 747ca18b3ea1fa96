//! Tenant-scoped object storage: a local directory by default
//! (`<data_dir>/objects`), any S3-compatible service when `storage_s3_bucket`
//! is set. Keys are built from the tenant context and a fixed asset name —
//! `tenants/<tenant id>/branding/logo.png` — or an export's id
//! (`tenants/<tenant id>/exports/<export id>.tar`), never from user input,
//! so one tenant's objects cannot be addressed from another's. Nothing of a
//! tenant's lives on one instance's disk. Every object is sealed with the
//! tenant's data key (`tenancy::keys`), its key below the tenant's prefix as
//! associated data: the store holds no readable byte of a tenant, and an
//! object copied under another tenant or name does not open.

use crate::config::Settings;
use crate::error::Result;
use crate::tenancy::{TenantCtx, TenantId, TenantKeys};
use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use secrecy::ExposeSecret;
use std::sync::Arc;

/// The files a tenant can have stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    Logo,
    Favicon,
}

impl Asset {
    pub fn file_name(self) -> &'static str {
        match self {
            Asset::Logo => "logo.png",
            Asset::Favicon => "favicon.png",
        }
    }

    /// The asset a served file name stands for; nothing else is an asset.
    pub fn from_file_name(name: &str) -> Option<Self> {
        [Asset::Logo, Asset::Favicon]
            .into_iter()
            .find(|a| a.file_name() == name)
    }

    fn key(self) -> String {
        format!("branding/{}", self.file_name())
    }
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The directory of the local store (none for S3): emptied directories
    /// are removed too, so that a purge leaves no path naming the tenant.
    local_root: Option<std::path::PathBuf>,
}

impl Storage {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mut local_root = None;
        let store: Arc<dyn ObjectStore> = match &settings.storage_s3_bucket {
            Some(bucket) => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(&settings.storage_s3_region);
                if let Some(endpoint) = &settings.storage_s3_endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let Some(key) = &settings.storage_s3_access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &settings.storage_s3_secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose_secret());
                }
                Arc::new(builder.build()?)
            }
            None => {
                let dir = settings.data_dir.join("objects");
                std::fs::create_dir_all(&dir)?;
                local_root = Some(dir.clone());
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?)
            }
        };
        Ok(Self { store, local_root })
    }

    /// The objects of the tenant a request runs in.
    pub fn of(&self, ctx: &TenantCtx) -> TenantObjects {
        self.tenant(ctx.id())
    }

    /// For the engine's own tenant-wide work (export, purge).
    pub(crate) fn tenant(&self, tenant: TenantId) -> TenantObjects {
        let prefix = format!("tenants/{tenant}");
        TenantObjects {
            store: self.store.clone(),
            local_dir: self.local_root.as_ref().map(|root| root.join(&prefix)),
            prefix,
        }
    }
}

pub struct TenantObjects {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    local_dir: Option<std::path::PathBuf>,
}

/// Where export archives live below a tenant's prefix: not the tenant's own
/// files (not counted as its storage, not put in its next export).
const EXPORTS: &str = "exports";
/// Where an archive or import waits for its restore job, below a tenant's
/// prefix: not the tenant's own files either.
const RESTORES: &str = "restores";

fn storage_error(e: object_store::Error) -> crate::Error {
    crate::Error::Unexpected(anyhow::anyhow!("object storage: {e}"))
}

impl TenantObjects {
    fn path(&self, key: &str) -> Path {
        Path::from(format!("{}/{key}", self.prefix))
    }

    pub async fn put(&self, keys: &TenantKeys, asset: Asset, bytes: Vec<u8>) -> Result<()> {
        self.write(keys, &asset.key(), &bytes).await
    }

    pub async fn get(&self, keys: &TenantKeys, asset: Asset) -> Result<Option<Vec<u8>>> {
        self.read(keys, &asset.key()).await
    }

    /// Seals `bytes` as `key` and stores them whole.
    async fn write(&self, keys: &TenantKeys, key: &str, bytes: &[u8]) -> Result<()> {
        let sealed = keys.seal_bytes(key, bytes)?;
        self.store
            .put(&self.path(key), PutPayload::from(sealed))
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    async fn read(&self, keys: &TenantKeys, key: &str) -> Result<Option<Vec<u8>>> {
        match self.raw(key).await? {
            Some(stored) => Ok(Some(keys.open_bytes(key, &stored)?)),
            None => Ok(None),
        }
    }

    /// The stored bytes as they are, sealed.
    async fn raw(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.store.get(&self.path(key)).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(storage_error)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Seals again, with the generation new values get, every object of the
    /// tenant (export archives too) that is not sealed with it yet: a key
    /// rotation. Returns how many were sealed again.
    pub async fn reseal_all(&self, keys: &TenantKeys) -> Result<u64> {
        let mut resealed = 0;
        for meta in self.everything().await? {
            let key = self.key_of(&meta);
            let Some(stored) = self.raw(&key).await? else {
                continue;
            };
            if keys.is_current_object(&stored) {
                continue;
            }
            let plain = keys.open_bytes(&key, &stored)?;
            self.write(keys, &key, &plain).await?;
            resealed += 1;
        }
        Ok(resealed)
    }

    fn key_of(&self, meta: &object_store::ObjectMeta) -> String {
        meta.location
            .as_ref()
            .strip_prefix(&format!("{}/", self.prefix))
            .unwrap_or(meta.location.as_ref())
            .to_owned()
    }

    fn archive_key(export: uuid::Uuid) -> String {
        format!("{EXPORTS}/{export}.tar")
    }

    /// Stores export `export`'s archive whole: a put replaces an object at
    /// once (a local write goes to a temporary file first), so a run
    /// repeated after a crash leaves one archive and never half of one.
    pub async fn put_archive(
        &self,
        keys: &TenantKeys,
        export: uuid::Uuid,
        bytes: Vec<u8>,
    ) -> Result<()> {
        self.write(keys, &Self::archive_key(export), &bytes).await
    }

    pub async fn archive(&self, keys: &TenantKeys, export: uuid::Uuid) -> Result<Option<Vec<u8>>> {
        self.read(keys, &Self::archive_key(export)).await
    }

    pub async fn delete_archive(&self, export: uuid::Uuid) -> Result<()> {
        match self
            .store
            .delete(&self.path(&Self::archive_key(export)))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Keeps what restore `id` will write, sealed, until its job has run.
    pub async fn put_restore_source(
        &self,
        keys: &TenantKeys,
        id: uuid::Uuid,
        bytes: &[u8],
    ) -> Result<()> {
        self.write(keys, &format!("{RESTORES}/{id}"), bytes).await
    }

    pub async fn restore_source(
        &self,
        keys: &TenantKeys,
        id: uuid::Uuid,
    ) -> Result<Option<Vec<u8>>> {
        self.read(keys, &format!("{RESTORES}/{id}")).await
    }

    pub async fn delete_restore_source(&self, id: uuid::Uuid) -> Result<()> {
        match self
            .store
            .delete(&self.path(&format!("{RESTORES}/{id}")))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Stores one of the tenant's own files under `key` (a restore puts back
    /// the files an archive holds).
    pub async fn put_file(&self, keys: &TenantKeys, key: &str, bytes: &[u8]) -> Result<()> {
        let asset = key
            .strip_prefix("branding/")
            .and_then(Asset::from_file_name)
            .ok_or_else(|| {
                crate::Error::invalid("file", format!("{key}: not a file a tenant can have"))
            })?;
        self.put(keys, asset, bytes.to_vec()).await
    }

    /// The names of the tenant's stored export archives.
    pub async fn archives(&self) -> Result<Vec<String>> {
        Ok(self
            .list(Path::from(format!("{}/{EXPORTS}", self.prefix)))
            .await?
            .into_iter()
            .filter_map(|meta| meta.location.filename().map(str::to_owned))
            .collect())
    }

    /// Everything stored under the tenant's prefix, export archives too.
    async fn everything(&self) -> Result<Vec<object_store::ObjectMeta>> {
        self.list(Path::from(self.prefix.clone())).await
    }

    async fn list(&self, below: Path) -> Result<Vec<object_store::ObjectMeta>> {
        self.store
            .list(Some(&below))
            .try_collect()
            .await
            .map_err(storage_error)
    }

    /// The tenant's own files (not the platform's export archives, nor what
    /// waits for a restore).
    async fn objects(&self) -> Result<Vec<object_store::ObjectMeta>> {
        let archives = format!("{}/{EXPORTS}/", self.prefix);
        let restores = format!("{}/{RESTORES}/", self.prefix);
        Ok(self
            .everything()
            .await?
            .into_iter()
            .filter(|meta| {
                let at = meta.location.as_ref();
                !at.starts_with(&archives) && !at.starts_with(&restores)
            })
            .collect())
    }

    /// Every object of the tenant: its key below the tenant's prefix, and
    /// its bytes.
    pub async fn all(&self, keys: &TenantKeys) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        for meta in self.objects().await? {
            let key = self.key_of(&meta);
            if let Some(bytes) = self.read(keys, &key).await? {
                out.push((key, bytes));
            }
        }
        Ok(out)
    }

    /// The bytes the tenant stores (its `storage_bytes` usage).
    pub async fn bytes(&self) -> Result<u64> {
        Ok(self.objects().await?.iter().map(|m| m.size).sum())
    }

    /// Every object kept for the tenant, export archives too (a purge's
    /// census).
    pub async fn count(&self) -> Result<u64> {
        Ok(self.everything().await?.len() as u64)
    }

    /// Deletes every object of the tenant, export archives too (purge).
    pub async fn delete_all(&self) -> Result<()> {
        for meta in self.everything().await? {
            self.store
                .delete(&meta.location)
                .await
                .map_err(storage_error)?;
        }
        match &self.local_dir {
            Some(dir) => remove_dir_if_present(dir).await,
            None => Ok(()),
        }
    }
}

/// Removes a directory and everything in it; a missing one is fine.
pub(crate) async fn remove_dir_if_present(dir: &std::path::Path) -> Result<()> {
    match tokio::fs::remove_dir_all(dir).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::Error::from(e).into()),
    }
}
