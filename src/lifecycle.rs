//! Tenant lifecycle operations that reach across domains, so they sit above
//! them: provisioning (catalog rows, tenant plane, first owner or
//! invitation, billing account, plan history), moving a tenant onto another
//! plan, and purging a deleted tenant (its rows, objects, Stripe customer,
//! retained invoices, pseudonymised audit), self-serve signup and the
//! units made ahead for it. The catalog's own state changes (suspend,
//! resume, delete) stay in [`crate::catalog::tenants`].

pub mod key_rotation;
pub mod plan;
mod progress_row;
mod provision;
pub(crate) mod pseudonyms;
pub mod purge;
pub mod restore;
pub mod signup;
pub mod signup_invites;
pub mod warm_units;

pub use provision::create;
pub use purge::{purge_expired, purge_now, DeletionReceipt};
