//! Plans and entitlements. A tenant's **plan** grants **entitlements**:
//! features (booleans), limits, quotas with a period, and a request rate.
//! A superadmin may override any of them for one tenant, with a reason and an
//! expiry. Application code asks through the tenant context
//! ([`crate::tenancy::TenantCtx::require_feature`],
//! [`crate::tenancy::TenantCtx::check_limit`], [`quota::consume`]); the answer
//! comes from the in-memory policy snapshot ([`crate::policy`]) and the
//! tenant's record, so a check costs no query.

pub mod entitlements;
pub mod meters;
pub mod overrides;
pub mod prices;
pub mod quota;
pub mod registry;
pub mod store;

pub use entitlements::{Enforcement, Entitlements, Plan};
pub use registry::{Entitlement, EntitlementKind, Period, REGISTRY};
