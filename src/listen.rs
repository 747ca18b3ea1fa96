//! Change notifications between server instances, for the in-memory maps
//! (tenants, plans and flags): a Postgres `LISTEN` channel, or a Redis pub/sub
//! channel when Redis is configured. Both report the same [`Signal`]s, and a
//! map that hears `Down` must stop trusting itself until `Up` (notifications
//! may have been missed in between).

use sea_orm::sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// What a listener reports to its map.
pub(crate) enum Signal<'a> {
    /// Connected (again): anything may have changed while nobody listened.
    Up,
    /// A notification and its payload.
    Changed(&'a str),
    /// Disconnected; reconnecting.
    Down,
}

/// A map kept in step by a listener.
pub(crate) trait Watched: Send + Sync + 'static {
    /// What the map does on `signal`.
    fn hear(&self, signal: Signal<'_>);
}

/// Where a map's notifications come from.
pub(crate) enum Source {
    Postgres(String),
    Redis(redis::Client),
}

/// Keeps a listener on `channel` of `source` connected, telling `map`, until
/// `stop` is dropped or `map` is (the listener holds it weakly).
pub(crate) fn watch<M: Watched>(
    map: &Arc<M>,
    source: Source,
    channel: &'static str,
    stop: oneshot::Receiver<()>,
) {
    let map = Arc::downgrade(map);
    let handler = move |signal: Signal<'_>| match map.upgrade() {
        Some(map) => {
            map.hear(signal);
            true
        }
        None => false,
    };
    match source {
        Source::Postgres(url) => tokio::spawn(postgres_loop(url, channel, stop, handler)),
        Source::Redis(client) => tokio::spawn(redis_loop(client, channel, stop, handler)),
    };
}

async fn postgres_loop(
    url: String,
    channel: &'static str,
    mut stop: oneshot::Receiver<()>,
    mut handler: impl FnMut(Signal<'_>) -> bool + Send + 'static,
) {
    loop {
        let connected = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.listen(channel).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let connected = tokio::select! {
            _ = &mut stop => return,
            connected = connected => connected,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(channel, error = %e, "change listener cannot connect; retrying");
                if pause(&mut stop).await {
                    return;
                }
                continue;
            }
        };
        if !handler(Signal::Up) {
            return;
        }
        loop {
            let next = tokio::select! {
                _ = &mut stop => return,
                next = listener.try_recv() => next,
            };
            let keep = match next {
                Ok(Some(note)) => handler(Signal::Changed(note.payload())),
                Ok(None) | Err(_) => {
                    tracing::warn!(channel, "change listener disconnected; reconnecting");
                    if !handler(Signal::Down) {
                        return;
                    }
                    break;
                }
            };
            if !keep {
                return;
            }
        }
    }
}

async fn redis_loop(
    client: redis::Client,
    channel: &'static str,
    mut stop: oneshot::Receiver<()>,
    mut handler: impl FnMut(Signal<'_>) -> bool + Send + 'static,
) {
    use futures_util::StreamExt;
    loop {
        let connected = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let connected = tokio::select! {
            _ = &mut stop => return,
            connected = connected => connected,
        };
        let mut pubsub = match connected {
            Ok(pubsub) => pubsub,
            Err(e) => {
                tracing::warn!(channel, error = %e, "redis subscriber cannot connect; retrying");
                if pause(&mut stop).await {
                    return;
                }
                continue;
            }
        };
        if !handler(Signal::Up) {
            return;
        }
        let mut messages = pubsub.on_message();
        loop {
            let next = tokio::select! {
                _ = &mut stop => return,
                next = messages.next() => next,
            };
            let keep = match next {
                Some(message) => {
                    let payload: String = message.get_payload().unwrap_or_default();
                    handler(Signal::Changed(&payload))
                }
                None => {
                    tracing::warn!(channel, "redis subscriber disconnected; reconnecting");
                    if !handler(Signal::Down) {
                        return;
                    }
                    break;
                }
            };
            if !keep {
                return;
            }
        }
    }
}

/// Waits a second before reconnecting; `true` when told to stop meanwhile.
async fn pause(stop: &mut oneshot::Receiver<()>) -> bool {
    tokio::select! {
        _ = stop => true,
        _ = tokio::time::sleep(Duration::from_secs(1)) => false,
    }
}
