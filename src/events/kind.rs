use serde::{Deserialize, Serialize};

/// What happened to a tenant. The string form is what webhooks carry in
/// `type` and what endpoints subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    Created,
    Activated,
    Suspended,
    Resumed,
    Deleted,
    Purged,
    DomainVerified,
    DomainLapsed,
    BrandingChanged,
    PlanChanged,
    /// A quota passed 80 % of its limit this period.
    QuotaWarning,
    /// A quota reached its limit this period.
    QuotaExhausted,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::Created,
        EventKind::Activated,
        EventKind::Suspended,
        EventKind::Resumed,
        EventKind::Deleted,
        EventKind::Purged,
        EventKind::DomainVerified,
        EventKind::DomainLapsed,
        EventKind::BrandingChanged,
        EventKind::PlanChanged,
        EventKind::QuotaWarning,
        EventKind::QuotaExhausted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "tenant.created",
            EventKind::Activated => "tenant.activated",
            EventKind::Suspended => "tenant.suspended",
            EventKind::Resumed => "tenant.resumed",
            EventKind::Deleted => "tenant.deleted",
            EventKind::Purged => "tenant.purged",
            EventKind::DomainVerified => "domain.verified",
            EventKind::DomainLapsed => "domain.lapsed",
            EventKind::BrandingChanged => "branding.changed",
            EventKind::PlanChanged => "plan.changed",
            EventKind::QuotaWarning => "quota.warning",
            EventKind::QuotaExhausted => "quota.exhausted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("tenant.exploded"), None);
    }
}
