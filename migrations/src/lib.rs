//! Schema migrations, in two sets:
//!
//! - [`CatalogMigrator`]: the control plane (tenants, branding, platform admins,
//!   platform audit, sessions). One database.
//! - [`TenantMigrator`]: the tenant plane (users, memberships, projects, tasks).
//!   On Postgres it lives beside the catalog in shared tables guarded by
//!   row-level security; on SQLite it is applied to each tenant's own file.
//!
//! Every tenant-plane table carries `tenant_id` as the leading column of every
//! primary, unique and foreign key and index, whatever the placement, so that a
//! tenant's rows can move between placements unchanged.

mod catalog;
pub mod legacy;
pub mod rehearsal;
mod sql;
mod tenant_plane;

pub use catalog::m0016_directory_wall::{PLATFORM_ROLE, WALLED as DIRECTORY_WALLED};
pub use catalog::m0017_tenant_records_wall::TENANT_RECORDS;
pub use catalog::m0018_retained_invoices::RETAINED;

/// Every catalog table behind the wall with the platform scope beside it:
/// the directory and platform records (m0016), the tenants' records
/// (m0017) and the invoices kept after a purge (m0018).
pub const PLATFORM_SCOPED: &[&str] =
    &joined::<{ WALLED_RECORDS.len() + RETAINED.len() }>(&WALLED_RECORDS, RETAINED);

const WALLED_RECORDS: [&str; DIRECTORY_WALLED.len() + TENANT_RECORDS.len()] =
    joined(DIRECTORY_WALLED, TENANT_RECORDS);

const fn joined<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < b.len() {
        out[i + j] = b[j];
        j += 1;
    }
    out
}
pub use catalog::CatalogMigrator;
pub use sea_orm_migration;
pub use tenant_plane::{TenantMigrator, TENANT_TABLES};
