//! The credentials an archive or an import does not hold, kept from the
//! tenant's current data where the same row comes back: a person's password
//! hash, an endpoint's signing secret, the SSO client secret. A row new to
//! the tenant gets an unusable password (its person resets it) or a new
//! signing secret (its owner rotates it to learn it).

use crate::error::Result;
use crate::tenancy::keys::WEBHOOK_SECRET;
use crate::tenancy::{TenantDb, TenantKeys};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// A password hash nothing verifies against.
const NO_PASSWORD: &str = "!";

pub(crate) struct Kept {
    passwords: HashMap<String, String>,
    webhook_secrets: HashMap<String, String>,
    sso_secret: Option<String>,
}

async fn pairs(db: &TenantDb, sql: &str) -> Result<HashMap<String, String>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        let id: uuid::Uuid = row.try_get("", "id")?;
        let value: Option<String> = row.try_get("", "v")?;
        if let Some(value) = value {
            out.insert(id.to_string(), value);
        }
    }
    Ok(out)
}

pub(crate) async fn read(db: &TenantDb) -> Result<Kept> {
    let sso = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT client_secret_sealed AS v FROM sso_configs",
        ))
        .await?;
    Ok(Kept {
        passwords: pairs(db, "SELECT id, password_hash AS v FROM users").await?,
        webhook_secrets: pairs(db, "SELECT id, secret AS v FROM webhook_endpoints").await?,
        sso_secret: match sso {
            Some(row) => row.try_get("", "v")?,
            None => None,
        },
    })
}

impl Kept {
    /// Puts into `row` of `table` the credentials it lacks.
    pub(crate) fn fill(
        &self,
        table: &str,
        row: &mut Map<String, Json>,
        keys: &TenantKeys,
    ) -> Result<()> {
        let id = row
            .get("id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let absent =
            |row: &Map<String, Json>, column: &str| row.get(column).is_none_or(Json::is_null);
        match table {
            "users" if absent(row, "password_hash") => {
                let hash = self
                    .passwords
                    .get(&id)
                    .cloned()
                    .unwrap_or(NO_PASSWORD.into());
                row.insert("password_hash".into(), Json::String(hash));
            }
            "webhook_endpoints" if absent(row, "secret") => {
                let secret = match self.webhook_secrets.get(&id) {
                    Some(sealed) => sealed.clone(),
                    None => {
                        keys.seal(WEBHOOK_SECRET.name, &crate::events::signature::new_secret())?
                    }
                };
                row.insert("secret".into(), Json::String(secret));
                row.insert("previous_secret".into(), Json::Null);
                row.insert("previous_secret_expires_at".into(), Json::Null);
            }
            "sso_configs" if absent(row, "client_secret_sealed") => {
                let secret = self
                    .sso_secret
                    .clone()
                    .map(Json::String)
                    .unwrap_or(Json::Null);
                row.insert("client_secret_sealed".into(), secret);
            }
            _ => {}
        }
        Ok(())
    }

    /// Nothing kept: a dry run's stand-in, which fills the same columns.
    pub(crate) fn none() -> Self {
        Self {
            passwords: HashMap::new(),
            webhook_secrets: HashMap::new(),
            sso_secret: None,
        }
    }
}
