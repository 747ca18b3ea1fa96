//! The PostgreSQL clusters tenants are placed on. The home cluster is the
//! one `database_url` names: it holds the catalog, and tenants too. More
//! clusters hold tenants only (pool, schema and database placements alike),
//! each in a region; a tenant's region is its cluster's, and it stays there
//! unless a superadmin moves it out with a reason (`tenancy::moves`).
//!
//! In `tenantry.toml`:
//!
//! ```toml
//! cluster_name = "main"
//! region = "eu"
//! [[clusters]]
//! name = "us1"
//! region = "us"
//! database_url = "postgres://tenantry_app@pg-us1/tenantry"
//! owner_database_url = "postgres://tenantry_owner@pg-us1/tenantry"
//! ```

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A cluster other than the home one.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterSettings {
    pub name: String,
    pub region: String,
    /// The runtime role's URL of the cluster's shared database (its pool
    /// tenants' tables; tenant databases sit beside it).
    pub database_url: SecretString,
    /// The owner role's URL there (migrations and the DDL of schema and
    /// database tenants). Unset: `database_url`.
    pub owner_database_url: Option<SecretString>,
}

impl ClusterSettings {
    pub fn runtime_url(&self) -> String {
        self.database_url.expose_secret().to_owned()
    }

    pub fn owner_url(&self) -> String {
        self.owner_database_url
            .as_ref()
            .unwrap_or(&self.database_url)
            .expose_secret()
            .to_owned()
    }
}

/// A name clusters and regions may have: what a console, a URL and a log
/// line can carry as they are.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}
