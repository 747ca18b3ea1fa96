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

pub use catalog::m0016_directory_wall::{PLATFORM_ROLE, WALLED as PLATFORM_SCOPED};
pub use catalog::CatalogMigrator;
pub use sea_orm_migration;
pub use tenant_plane::{TenantMigrator, TENANT_TABLES};
