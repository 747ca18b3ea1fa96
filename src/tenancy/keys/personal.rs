//! Personal data sealed with the tenant's key: the columns
//! `encryption.personal_data` names (members' addresses and names,
//! invitees' addresses). Every tenant transaction carries a [`Personal`]
//! (`TenantDb::personal`), which seals what is written to those columns,
//! opens what is read from them, and gives the blind index an address is
//! looked up by. The tenant's keys are fetched on first need only, so a
//! transaction that touches no personal column costs nothing more, and a
//! deployment that names none never seals.

use super::{is_sealed_text, Legacy, SealedColumn, TenantKeys};
use crate::error::Result;
use crate::tenancy::{Engine, TenantId};
use sea_orm::{ColumnTrait, Condition};
use std::sync::Arc;

pub const USER_EMAIL: SealedColumn = SealedColumn {
    table: "users",
    column: "email",
    name: "users.email",
    legacy: Legacy::Plain,
    index: Some("email_index"),
    personal: true,
};
pub const USER_NAME: SealedColumn = SealedColumn {
    table: "users",
    column: "display_name",
    name: "users.display_name",
    legacy: Legacy::Plain,
    index: None,
    personal: true,
};
pub const INVITATION_EMAIL: SealedColumn = SealedColumn {
    table: "invitations",
    column: "email",
    name: "invitations.email",
    legacy: Legacy::Plain,
    index: Some("email_index"),
    personal: true,
};

/// The personal-data columns a deployment may name, as the settings name
/// them (`crate::config::PERSONAL_DATA_COLUMNS` lists the same names).
pub const PERSONAL_COLUMNS: &[SealedColumn] = &[USER_EMAIL, USER_NAME, INVITATION_EMAIL];

/// One transaction's view of the tenant's personal-data sealing.
pub struct Personal {
    engine: Engine,
    tenant: TenantId,
    /// Fetched on first need; a race to fetch it twice is harmless.
    keys: std::sync::OnceLock<Arc<TenantKeys>>,
}

impl Personal {
    pub(crate) fn new(engine: Engine, tenant: TenantId) -> Self {
        Self {
            engine,
            tenant,
            keys: std::sync::OnceLock::new(),
        }
    }

    async fn keys(&self) -> Result<&Arc<TenantKeys>> {
        if let Some(keys) = self.keys.get() {
            return Ok(keys);
        }
        // Boxed: every read of a member nests this future, and the keyring's
        // would otherwise be laid out inside each of them.
        let fetched = Box::pin(self.engine.tenant_keys(self.tenant)).await?;
        Ok(self.keys.get_or_init(|| fetched))
    }

    /// Whether the settings name `column` for sealing.
    pub fn seals(&self, column: &SealedColumn) -> bool {
        !column.personal || self.engine.settings().encryption.seals(column.name)
    }

    /// `plain` as `column` stores it: sealed when the settings name the
    /// column, else as it is.
    pub async fn seal(&self, column: &SealedColumn, plain: &str) -> Result<String> {
        match self.seals(column) {
            true => self.keys().await?.seal(column.name, plain),
            false => Ok(plain.to_owned()),
        }
    }

    /// A stored value of `column`, opened. A value stored plain (before the
    /// column was sealed, or while it is not) is read as it is, without
    /// fetching any key.
    pub async fn open(&self, column: &SealedColumn, stored: &str) -> Result<String> {
        match is_sealed_text(stored) {
            true => self.keys().await?.open_column(column, stored),
            false => Ok(stored.to_owned()),
        }
    }

    /// The rows whose `column` (stored in `stored`, its index in `index`)
    /// is `value`: by the blind index while the column is sealed, and as
    /// stored (a value stored plain, before it was sealed, until a key
    /// rotation seals it).
    pub async fn lookup<C: ColumnTrait>(
        &self,
        column: &SealedColumn,
        stored: C,
        index: C,
        value: &str,
    ) -> Result<Condition> {
        let plain = stored.eq(value);
        Ok(match self.index(column, value).await? {
            Some(digest) => Condition::any().add(index.eq(digest)).add(plain),
            None => Condition::all().add(plain),
        })
    }

    /// The blind index `column`'s index column holds for `value`: `None`
    /// while the column is not sealed (it is looked up as it is).
    pub async fn index(&self, column: &SealedColumn, value: &str) -> Result<Option<String>> {
        match column.index.is_some() && self.seals(column) {
            true => Ok(Some(self.keys().await?.blind_index(column, value)?)),
            false => Ok(None),
        }
    }

    /// Opens, in a row of `table` read as JSON (an export), every personal
    /// column sealed in it: an archive holds the tenant's data, readable
    /// by whoever it is handed to and restorable under another tenant.
    pub async fn open_json(&self, table: &str, row: &mut serde_json::Value) -> Result<()> {
        for column in PERSONAL_COLUMNS.iter().filter(|c| c.table == table) {
            if let Some(serde_json::Value::String(stored)) = row.get_mut(column.column) {
                *stored = self.open(column, stored).await?;
            }
        }
        Ok(())
    }

    /// Seals, in a row about to be written to `table` (its columns'
    /// `names`, its `values` in the same order; a restore or an import),
    /// every personal column the settings name, and sets its index.
    pub async fn seal_values(
        &self,
        table: &str,
        names: &[&str],
        values: &mut [sea_orm::Value],
    ) -> Result<()> {
        let at = |name: &str| names.iter().position(|n| *n == name);
        for column in PERSONAL_COLUMNS.iter().filter(|c| c.table == table) {
            let Some(i) = at(column.column) else { continue };
            let sea_orm::Value::String(Some(plain)) = &values[i] else {
                continue;
            };
            let plain = plain.to_string();
            if let Some(j) = column.index.and_then(at) {
                values[j] = sea_orm::Value::String(self.index(column, &plain).await?);
            }
            values[i] = sea_orm::Value::String(Some(self.seal(column, &plain).await?));
        }
        Ok(())
    }
}
