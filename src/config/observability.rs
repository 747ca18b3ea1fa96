//! The `[observability]` section: the metrics endpoint, the bound on the
//! tenant label, and how often what each tenant costs is written down
//! (`crate::observe`).

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ObservabilitySettings {
    /// Whether requests, jobs and database work are counted at all (off:
    /// nothing is recorded, `/metrics` answers empty families).
    pub metrics: bool,
    /// Where `/metrics` is served: a listener of its own that only
    /// operators reach, never a tenant host. Unset: no endpoint.
    pub metrics_listen: Option<SocketAddr>,
    /// Tenants that keep their own `tenant` label: the busiest over the
    /// last window. The rest share `other`, so the series count stays
    /// bounded whatever the fleet's size.
    pub top_tenants: usize,
    /// How long the traffic that ranks tenants for their labels is counted.
    pub label_window_secs: u64,
    /// How often each tenant's costs are added to the cost ledger.
    pub cost_flush_secs: u64,
    /// How long the cost ledger keeps its minutes (the charts' month).
    pub cost_retention_days: u32,
}

impl Default for ObservabilitySettings {
    fn default() -> Self {
        Self {
            metrics: true,
            metrics_listen: None,
            top_tenants: 50,
            label_window_secs: 300,
            cost_flush_secs: 15,
            cost_retention_days: 35,
        }
    }
}
