//! The optional Redis connection (`redis_url`): shared rate-limit counters and
//! change broadcasts between server instances.

use crate::error::Result;
use redis::aio::ConnectionManager;
use secrecy::ExposeSecret;
use tokio::sync::OnceCell;

pub struct Redis {
    client: redis::Client,
    /// Connected on first use; reconnects by itself.
    connection: OnceCell<ConnectionManager>,
}

impl Redis {
    /// `None` when no Redis is configured.
    pub fn from_settings(settings: &crate::Settings) -> Result<Option<Self>> {
        let Some(url) = &settings.redis_url else {
            return Ok(None);
        };
        let client = redis::Client::open(url.expose_secret())
            .map_err(|_| anyhow::anyhow!("redis_url: not a valid Redis URL"))?;
        Ok(Some(Self {
            client,
            connection: OnceCell::new(),
        }))
    }

    pub(crate) fn client(&self) -> redis::Client {
        self.client.clone()
    }

    /// A handle on the shared connection.
    pub async fn connection(&self) -> Result<ConnectionManager> {
        let manager = self
            .connection
            .get_or_try_init(|| ConnectionManager::new(self.client.clone()))
            .await
            .map_err(|e| anyhow::anyhow!("redis unavailable: {e}"))?;
        Ok(manager.clone())
    }

    pub async fn publish(&self, channel: &str, payload: &str) -> Result<()> {
        let mut connection = self.connection().await?;
        redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async::<i64>(&mut connection)
            .await
            .map_err(|e| anyhow::anyhow!("redis publish failed: {e}"))?;
        Ok(())
    }
    /// The string under `key`, if any.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<String>> {
        let mut connection = self.connection().await?;
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut connection)
            .await
            .map_err(|e| anyhow::anyhow!("redis get failed: {e}").into())
    }

    /// `value` under `key` for `ttl`.
    pub(crate) async fn set(&self, key: &str, value: &str, ttl: std::time::Duration) -> Result<()> {
        let mut connection = self.connection().await?;
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64)
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| anyhow::anyhow!("redis set failed: {e}").into())
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<()> {
        let mut connection = self.connection().await?;
        redis::cmd("DEL")
            .arg(key)
            .query_async::<i64>(&mut connection)
            .await
            .map_err(|e| anyhow::anyhow!("redis delete failed: {e}"))?;
        Ok(())
    }
}
