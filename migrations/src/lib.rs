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
pub use catalog::m0018_retained_invoices::RETAINED;
pub use catalog::m0019_tenant_records_leave_catalog::DIRECTORY as DIRECTORY_ADDED;
pub use catalog::m0025_member_directory::DIRECTORY as MEMBER_DIRECTORY;
pub use catalog::m0027_cost_ledger::LEDGER as COST_LEDGER;
pub use catalog::m0029_connect::CONNECT;

/// The platform's records about one tenant that m0017 put behind the wall
/// and that are still in the catalog (m0019 moved the rest into the tenant
/// plane).
pub const TENANT_RECORDS: &[&str] = &["tls_certificates", "tls_issuances", "plan_assignments"];

/// Every catalog table behind the wall with the platform scope beside it:
/// the directory and platform records (m0016, m0019's verified hosts,
/// m0025's members by address), the tenants' records (m0017), the
/// invoices kept after a purge (m0018), the cost ledger (m0027) and Stripe
/// Connect's directory and ledger (m0029).
pub const PLATFORM_SCOPED: &[&str] = &joined::<
    { RECORDS_AND_RETAINED.len() + MEMBERS_COSTS_CONNECT.len() },
>(&RECORDS_AND_RETAINED, &MEMBERS_COSTS_CONNECT);

const MEMBERS_COSTS_CONNECT: [&str; MEMBERS_AND_COSTS.len() + CONNECT.len()] =
    joined(&MEMBERS_AND_COSTS, CONNECT);

const MEMBERS_AND_COSTS: [&str; MEMBER_DIRECTORY.len() + COST_LEDGER.len()] =
    joined(MEMBER_DIRECTORY, COST_LEDGER);

const RECORDS_AND_RETAINED: [&str; WALLED_RECORDS.len() + RETAINED.len()] =
    joined(&WALLED_RECORDS, RETAINED);

const DIRECTORY: [&str; DIRECTORY_WALLED.len() + DIRECTORY_ADDED.len()] =
    joined(DIRECTORY_WALLED, DIRECTORY_ADDED);

const WALLED_RECORDS: [&str; DIRECTORY.len() + TENANT_RECORDS.len()] =
    joined(&DIRECTORY, TENANT_RECORDS);

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

#[cfg(test)]
mod tests {
    use super::catalog::{m0017_tenant_records_wall, m0019_tenant_records_leave_catalog};

    #[test]
    fn the_records_still_in_the_catalog_are_those_walled_less_those_moved() {
        let moved = m0019_tenant_records_leave_catalog::MOVED;
        let mut expected: Vec<&str> = m0017_tenant_records_wall::WALLED
            .iter()
            .copied()
            .filter(|t| !moved.contains(t))
            .collect();
        let mut listed = super::TENANT_RECORDS.to_vec();
        expected.sort_unstable();
        listed.sort_unstable();
        assert_eq!(listed, expected);
    }
}
