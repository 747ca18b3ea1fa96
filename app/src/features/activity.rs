//! What tenants cost the platform, for superadmins: the noisiest tenants by
//! each cost (`/console/costs`) and one tenant's request rate, error rate,
//! p95 latency and cost share over the last hour, day or month
//! (`/console/tenants/<slug>/activity`), from the cost ledger.

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
