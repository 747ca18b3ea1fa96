//! The isolation engine. Policy:
//!
//! - Application code reaches tenant-plane data only through a [`TenantDb`]:
//!   a transaction bound to one tenant, obtained from a [`TenantCtx`]. The raw
//!   connections are private to this module.
//! - Postgres: every transaction binds its tenant with one statement,
//!   `public.tenantry_enter`, which sets `app.tenant_id` and the placement's
//!   `search_path` transaction-locally. Row-level security (ENABLEd and FORCEd,
//!   USING + WITH CHECK) then filters reads and refuses foreign writes in every
//!   placement: `pool` (shared tables), `schema` (a schema per tenant: the
//!   search path is a second wall) and `database` (a database per tenant,
//!   reached through a bounded per-tenant pool). No tenant bound means no rows
//!   and no writes.
//! - SQLite (`database` placement): each tenant has its own file; the file is
//!   the wall.
//! - Tenants move between placements online ([`moves`]); tenant-plane
//!   migrations reach every placement ([`fleet`]).
//! - Inserts are stamped with the tenant by [`TenantDb::insert`].
//! - The catalog is reached three ways, none raw: a tenant's records there
//!   through [`TenantRecords`] (bound to it), the platform's records about
//!   tenants and the directory through [`PlatformDb`] (the platform scope,
//!   logged), and the platform's own tables, which name no tenant, through
//!   [`PlatformTables`]. Every statement passes the binding guard.

pub mod audit;
pub mod cache;
pub mod clusters;
pub mod cost_ledger;
mod creation;
mod ctx;
mod db_meter;
pub mod directory;
mod engine;
mod failpoint;
pub mod fleet;
mod guard;
mod ids;
mod kept;
pub mod keys;
mod legacy;
pub mod moves;
pub(crate) mod placeholders;
mod plane_rows;
pub mod platform_audit;
mod platform_db;
mod platform_tables;
mod pools;
mod postgres;
mod records;
mod sqlite;
mod tenant_db;

pub use creation::NewPoolTenant;
pub use ctx::{PlanOverride, RecordMemo, RequestScope, SiteOrigin, TenantCtx, TenantRecord};
pub(crate) use engine::Notifier;
pub use engine::{Engine, RecordFuture, RecordLoader};
pub use ids::{parse_placement, Placement, Slug, TenantId, TenantState};
pub use kept::{Kept, Ticket};
pub use keys::TenantKeys;
pub use legacy::LegacyReport;
pub use plane_rows::{check_row, ColumnKind, PlaneColumn};
pub use platform_db::{PlatformDb, PlatformUse};
pub use platform_tables::PlatformTables;
pub use pools::IDLE_BEFORE_PING;
pub use records::{CatalogScope, TenantRecords};
pub use tenant_db::TenantDb;
