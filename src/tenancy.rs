//! The isolation engine. Policy:
//!
//! - Application code reaches tenant-plane data only through a [`TenantDb`]:
//!   a transaction bound to one tenant, obtained from a [`TenantCtx`]. The raw
//!   connections are private to this module.
//! - Postgres (`pool` placement): the tenant is bound per transaction with
//!   `set_config('app.tenant_id', $1, true)`; row-level security (ENABLEd and
//!   FORCEd, USING + WITH CHECK) filters reads and refuses foreign writes. No
//!   tenant bound means no rows and no writes.
//! - SQLite (`database` placement): each tenant has its own file; the file is
//!   the wall.
//! - Inserts are stamped with the tenant by [`TenantDb::insert`].
//! - Platform-wide access goes through [`Engine::unscoped`], which is loud
//!   (a warning log line and a platform audit entry) and greppable.

pub mod audit;
mod ctx;
mod engine;
mod ids;
mod postgres;
mod sqlite;
mod tenant_db;
mod unscoped;

pub use ctx::{RequestScope, TenantCtx, TenantRecord};
pub use engine::Engine;
pub use ids::{Placement, Slug, TenantId, TenantState};
pub use tenant_db::TenantDb;
pub use unscoped::Unscoped;
