//! The metric families and their label sets. A family with a `tenant` label
//! remembers which label sets each tenant has, so that a tenant that loses
//! its own label (`labels::TenantLabels`) has its series removed, not left
//! to pile up.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use uuid::Uuid;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status_class: &'static str,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabel {
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkLabels {
    /// `request` or `job`.
    pub work: &'static str,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub kind: String,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobEndLabels {
    pub kind: String,
    /// `done`, `failed` or `dead`.
    pub outcome: &'static str,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    /// Which limit refused: `requests`, `api_calls`, `signin`, …
    pub limit: String,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QuotaLabels {
    pub meter: String,
    /// `warned` (80 %), `exhausted` (100 %) or `refused`.
    pub event: &'static str,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `delivered`, `retried` or `failed`.
    pub outcome: &'static str,
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `catalog` (the pool and schema placements' shared pool),
    /// `tenant_pool` (theirs through PgBouncer), `database` (every
    /// per-tenant database pool together) or `sqlite`.
    pub placement: &'static str,
    /// `in_use` or `idle`.
    pub state: &'static str,
}

/// A family whose label sets name a tenant, with each tenant's label sets
/// remembered so they can be removed together.
pub struct TenantFamily<L, M, C> {
    family: Family<L, M, C>,
    by_tenant: Mutex<HashMap<Uuid, Vec<L>>>,
}

impl<L, M, C> TenantFamily<L, M, C>
where
    L: Clone + Hash + Eq + std::fmt::Debug + EncodeLabelSet + Send + Sync + 'static,
    M: Send + Sync + 'static,
    C: MetricConstructor<M> + Clone,
{
    pub fn new(family: Family<L, M, C>) -> Self {
        Self {
            family,
            by_tenant: Mutex::new(HashMap::new()),
        }
    }

    /// The family to register (it shares its series with this one).
    pub fn registered(&self) -> Family<L, M, C> {
        self.family.clone()
    }

    /// Applies `f` to the series of `labels`; `own` names the tenant when
    /// the label is its own id (so the series can be removed later).
    pub fn with(&self, own: Option<Uuid>, labels: &L, f: impl FnOnce(&M)) {
        if let Some(series) = self.family.get(labels) {
            return f(&series);
        }
        if let Some(tenant) = own {
            let mut known = self.by_tenant.lock().unwrap_or_else(|e| e.into_inner());
            known.entry(tenant).or_default().push(labels.clone());
        }
        f(&self.family.get_or_create(labels));
    }

    /// Removes every series of `tenant`'s own label.
    pub fn forget(&self, tenant: Uuid) {
        let sets = {
            let mut known = self.by_tenant.lock().unwrap_or_else(|e| e.into_inner());
            known.remove(&tenant).unwrap_or_default()
        };
        for labels in sets {
            self.family.remove(&labels);
        }
    }
}
