//! Tenant rows that catalog migrations set aside for the fleet migration to
//! copy into each tenant's placement (`tenancy::legacy`): one batch per
//! migration that moved tables out of the catalog.

use crate::catalog::{
    m0014_identity_leaves_catalog, m0015_webhooks_leave_catalog, m0019_tenant_records_leave_catalog,
};

pub use m0014_identity_leaves_catalog::LEGACY_SCHEMA;

/// Each batch's tables, in the order their migrations ran.
const BATCHES: &[&[&str]] = &[
    m0014_identity_leaves_catalog::MOVED,
    m0015_webhooks_leave_catalog::MOVED,
    m0019_tenant_records_leave_catalog::MOVED,
];

/// Every table that ever left the catalog for the tenant plane; a run finds
/// set aside only those whose migration ran since the last copy.
pub fn moved() -> impl Iterator<Item = &'static str> {
    BATCHES.iter().flat_map(|batch| batch.iter().copied())
}
