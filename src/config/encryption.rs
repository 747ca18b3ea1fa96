//! The `[encryption]` section: the platform's key-encryption key (KEK),
//! the keys it replaced, and where the keyring of tenants' data keys lives
//! (`tenancy::keys`, `docs/encryption.md`).

use secrecy::SecretString;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EncryptionSettings {
    /// The KEK: 32 bytes, hex. Unset, read from `key_file`; neither set,
    /// derived from `secret_key` (one secret for a small deployment).
    pub key: Option<SecretString>,
    /// A file holding the KEK as hex (a mounted secret).
    pub key_file: Option<PathBuf>,
    /// KEKs the current one replaced, hex, comma-separated: the keyring's
    /// data keys still wrapped by one of them are opened with it until
    /// `tenantry keys rewrap` has wrapped them all with the current KEK.
    pub retired_keys: Option<SecretString>,
    /// The keyring's database. Unset: on PostgreSQL the database
    /// `<catalog>_keyring` on the catalog's server (created by the owner);
    /// on SQLite `<data_dir>/keyring.db`. It is kept apart from the data so
    /// that a backup of the data holds no key to read it with.
    pub keyring_url: Option<SecretString>,
    /// Seconds an instance keeps a tenant's unwrapped data keys in memory.
    /// A key rotation waits twice this long before it retires the old key,
    /// so that no instance still encrypts with it.
    pub cache_secs: u64,
    /// Personal-data columns sealed with each tenant's key, comma-separated,
    /// from [`PERSONAL_DATA_COLUMNS`] (`users.email,users.display_name,
    /// invitations.email`). Empty: none. Addresses sealed are looked up by a
    /// blind index. Values already stored are sealed by the next key
    /// rotation (`tenantry tenant rotate-key`).
    pub personal_data: String,
}

/// The personal-data columns `personal_data` may name.
pub const PERSONAL_DATA_COLUMNS: &[&str] =
    &["users.email", "users.display_name", "invitations.email"];

impl EncryptionSettings {
    /// Whether `personal_data` names `column` (`table.column`).
    pub fn seals(&self, column: &str) -> bool {
        self.personal_data_columns().any(|named| named == column)
    }

    /// Whether `personal_data` names any column.
    pub fn seals_any(&self) -> bool {
        self.personal_data_columns().next().is_some()
    }

    fn personal_data_columns(&self) -> impl Iterator<Item = &str> {
        self.personal_data
            .split(',')
            .map(str::trim)
            .filter(|named| !named.is_empty())
    }

    /// Refuses a `personal_data` entry that names no sealable column.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        for named in self.personal_data_columns() {
            if !PERSONAL_DATA_COLUMNS.contains(&named) {
                anyhow::bail!(
                    "encryption.personal_data: {named:?} is not a column that can be sealed (one of {})",
                    PERSONAL_DATA_COLUMNS.join(", ")
                );
            }
        }
        Ok(())
    }
}

impl Default for EncryptionSettings {
    fn default() -> Self {
        Self {
            key: None,
            key_file: None,
            retired_keys: None,
            keyring_url: None,
            cache_secs: 60,
            personal_data: String::new(),
        }
    }
}
