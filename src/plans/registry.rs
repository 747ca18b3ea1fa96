//! Every entitlement a plan can grant, with its kind. Adding one here makes it
//! editable in the console and checkable through the tenant context.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Month,
}

impl Period {
    /// The period `at` falls in: `2026-11-26` for a day, `2026-11` for a month.
    pub fn label(self, at: chrono::DateTime<chrono::Utc>) -> String {
        match self {
            Period::Day => at.format("%Y-%m-%d").to_string(),
            Period::Month => at.format("%Y-%m").to_string(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Month => "month",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "period")]
pub enum EntitlementKind {
    /// On or off.
    Feature,
    /// A ceiling on how many of something the tenant has at once.
    Limit,
    /// A ceiling on how much the tenant uses in a period, counted durably.
    Quota(Period),
    /// Part of the request rate limit (sustained rate, burst).
    Rate,
    /// What the platform takes from a payment on the tenant's connected
    /// account (`billing::connect`); absent means nothing.
    Fee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entitlement {
    pub key: &'static str,
    pub kind: EntitlementKind,
    pub label: &'static str,
}

const fn entry(key: &'static str, kind: EntitlementKind, label: &'static str) -> Entitlement {
    Entitlement { key, kind, label }
}

pub const SSO: &str = "sso";
pub const CUSTOM_DOMAINS: &str = "custom_domains";
pub const API_ACCESS: &str = "api_access";
pub const MAX_MEMBERS: &str = "max_members";
pub const MAX_PROJECTS: &str = "max_projects";
pub const API_REQUESTS_PER_MONTH: &str = "api_requests_per_month";
pub const EVENTS_PER_DAY: &str = "events_per_day";
pub const REQUESTS_PER_SECOND: &str = "requests_per_second";
pub const BURST: &str = "burst";
/// The platform's application fee on a tenant's sales, in basis points of
/// the amount (250 = 2.5 %), at most 10,000.
pub const PAYMENT_FEE_BPS: &str = "payment_fee_bps";
/// A fixed part of that fee, in the payment's minor units.
pub const PAYMENT_FEE_FIXED: &str = "payment_fee_fixed";

pub const REGISTRY: &[Entitlement] = &[
    entry(SSO, EntitlementKind::Feature, "Single sign-on (OIDC)"),
    entry(CUSTOM_DOMAINS, EntitlementKind::Feature, "Custom domains"),
    entry(API_ACCESS, EntitlementKind::Feature, "JSON API access"),
    entry(MAX_MEMBERS, EntitlementKind::Limit, "Members"),
    entry(MAX_PROJECTS, EntitlementKind::Limit, "Projects"),
    entry(
        API_REQUESTS_PER_MONTH,
        EntitlementKind::Quota(Period::Month),
        "API requests per month",
    ),
    entry(
        EVENTS_PER_DAY,
        EntitlementKind::Quota(Period::Day),
        "Events per day",
    ),
    entry(
        REQUESTS_PER_SECOND,
        EntitlementKind::Rate,
        "Requests per second",
    ),
    entry(BURST, EntitlementKind::Rate, "Burst (requests)"),
    entry(
        PAYMENT_FEE_BPS,
        EntitlementKind::Fee,
        "Fee on the tenant's sales (basis points)",
    ),
    entry(
        PAYMENT_FEE_FIXED,
        EntitlementKind::Fee,
        "Fixed fee per sale (minor units)",
    ),
];

pub fn find(key: &str) -> Option<&'static Entitlement> {
    REGISTRY.iter().find(|e| e.key == key)
}
