//! The PostgreSQL clusters tenants live on (`config/clusters.rs`). The home
//! cluster is the catalog's: its connections are the engine's own. Every
//! other cluster gets a runtime pool and an owner pool of its own, opened
//! on first use. A tenant's record names its cluster (`None`: home), and
//! its region is its cluster's.

use super::engine::connect_pool;
use crate::config::{database_name, with_database, Backend, ClusterSettings, Settings};
use crate::error::{Error, Result};
use sea_orm::DatabaseConnection;
use tokio::sync::OnceCell;

/// A cluster other than the home one, and its connections.
pub struct Remote {
    pub settings: ClusterSettings,
    runtime: OnceCell<DatabaseConnection>,
    owner: OnceCell<DatabaseConnection>,
    pool_size: u32,
}

impl Remote {
    /// The runtime role's pool on the cluster's shared database (its pool
    /// and schema tenants).
    pub async fn runtime(&self) -> Result<&DatabaseConnection> {
        self.runtime
            .get_or_try_init(|| opening(self.settings.runtime_url(), self.pool_size))
            .await
    }

    /// The owner role's pool there (DDL, migrations, moves).
    pub async fn owner(&self) -> Result<&DatabaseConnection> {
        self.owner
            .get_or_try_init(|| opening(self.settings.owner_url(), 4))
            .await
    }

    pub fn runtime_url_for(&self, database: &str) -> String {
        with_database(&self.settings.runtime_url(), database)
    }

    pub fn owner_url_for(&self, database: &str) -> String {
        with_database(&self.settings.owner_url(), database)
    }

    /// The cluster's shared database's name.
    pub fn shared_database(&self) -> String {
        database_name(&self.settings.runtime_url())
    }

    /// The migrated database its `database` tenants are copied from.
    pub fn template_database(&self) -> String {
        format!("{}_template", self.shared_database())
    }
}

/// Opening a pool, boxed: it sits under every tenant transaction's
/// future, which would otherwise grow past the compiler's depth limit.
fn opening(
    url: String,
    size: u32,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<DatabaseConnection>> + Send>> {
    Box::pin(async move { connect_pool(&url, Backend::Postgres, size).await })
}

/// Every cluster the deployment knows.
pub struct Clusters {
    home: String,
    home_region: String,
    remotes: Vec<Remote>,
}

impl Clusters {
    pub fn new(settings: &Settings) -> Self {
        Self {
            home: settings.cluster_name.clone(),
            home_region: settings.region.clone(),
            remotes: settings
                .clusters
                .iter()
                .map(|c| Remote {
                    settings: c.clone(),
                    runtime: OnceCell::new(),
                    owner: OnceCell::new(),
                    pool_size: settings.pool_size,
                })
                .collect(),
        }
    }

    /// The cluster a record names: `None` for the home cluster, whatever
    /// the record says of it.
    pub fn remote(&self, cluster: Option<&str>) -> Result<Option<&Remote>> {
        match cluster {
            None => Ok(None),
            Some(name) if name == self.home => Ok(None),
            Some(name) => self
                .remotes
                .iter()
                .find(|r| r.settings.name == name)
                .map(Some)
                .ok_or_else(|| {
                    anyhow::anyhow!("cluster {name:?} is not configured on this instance").into()
                }),
        }
    }

    /// How a record stores `name`: `None` for the home cluster.
    pub fn stored(&self, name: &str) -> Result<Option<String>> {
        Ok(self.remote(Some(name))?.map(|r| r.settings.name.clone()))
    }

    /// The name of the cluster a record names.
    pub fn name_of<'a>(&'a self, cluster: Option<&'a str>) -> &'a str {
        cluster.filter(|c| *c != self.home).unwrap_or(&self.home)
    }

    /// The region of the cluster a record names.
    pub fn region_of(&self, cluster: Option<&str>) -> Result<&str> {
        Ok(match self.remote(cluster)? {
            None => &self.home_region,
            Some(remote) => &remote.settings.region,
        })
    }

    /// Where new tenants of `region` go: the home cluster if it is there,
    /// otherwise the first cluster configured in it.
    pub fn default_for(&self, region: &str) -> Result<Option<String>> {
        if region == self.home_region {
            return Ok(None);
        }
        self.remotes
            .iter()
            .find(|r| r.settings.region == region)
            .map(|r| Some(r.settings.name.clone()))
            .ok_or_else(|| {
                Error::invalid("region", format!("no cluster serves the region {region:?}"))
            })
    }

    /// Every cluster as (name, region), the home one first.
    pub fn all(&self) -> Vec<(String, String)> {
        std::iter::once((self.home.clone(), self.home_region.clone()))
            .chain(
                self.remotes
                    .iter()
                    .map(|r| (r.settings.name.clone(), r.settings.region.clone())),
            )
            .collect()
    }

    pub fn remotes(&self) -> &[Remote] {
        &self.remotes
    }
}
