//! Stopping the server: the first SIGTERM or ctrl-c stops accepting
//! connections and lets the requests in flight finish; the server exits once
//! they are done, or when `shutdown_grace_secs` has passed, or at a second
//! signal, whichever comes first. Counters kept in memory are written after
//! that (see `main.rs`).

use std::time::Duration;
use tokio::sync::watch;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Phase {
    Serving,
    /// No new connections; requests in flight finish.
    Draining,
    /// Out of time, or asked twice: exit now.
    Exiting,
}

/// The server's way to a stop, driven by the process's signals.
pub struct Stop(watch::Receiver<Phase>);

impl Stop {
    /// Starts listening for SIGTERM and ctrl-c.
    pub fn on_signals(grace: Duration) -> Self {
        let (phase, seen) = watch::channel(Phase::Serving);
        tokio::spawn(async move {
            signal().await;
            tracing::info!(
                grace_secs = grace.as_secs(),
                "stopping: no new connections, finishing requests in flight"
            );
            let _ = phase.send(Phase::Draining);
            tokio::select! {
                _ = signal() => tracing::warn!("second signal: exiting now"),
                _ = tokio::time::sleep(grace) => {
                    tracing::warn!("requests still in flight after the grace period: exiting");
                }
            }
            let _ = phase.send(Phase::Exiting);
        });
        Self(seen)
    }

    /// Resolves when the server should stop accepting.
    pub fn draining(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        reached(self.0.clone(), Phase::Draining)
    }

    /// Resolves when the server should exit even with requests in flight.
    pub fn exiting(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        reached(self.0.clone(), Phase::Exiting)
    }
}

async fn reached(mut seen: watch::Receiver<Phase>, phase: Phase) {
    if seen.wait_for(|now| *now >= phase).await.is_err() {
        // The signal task is gone (the runtime is stopping): never resolve
        // on that alone.
        std::future::pending::<()>().await;
    }
}

/// SIGTERM (what orchestrators send) or ctrl-c.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; ctrl-c only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
