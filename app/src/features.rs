//! One folder per feature: its pages (`page.rs`, `*_page.rs`), its server
//! functions and the data they carry (`api.rs`), and their server-side bodies
//! (`server.rs`, compiled for `ssr` only).

pub mod account;
pub mod activity;
pub mod api_keys;
pub mod appearance;
pub mod billing;
pub mod console;
pub mod data_keys;
pub mod domains;
pub mod exports;
pub mod flags;
pub mod invitations;
pub mod jobs;
pub mod members;
pub mod payments;
pub mod placements;
pub mod plans;
pub mod product;
pub mod restores;
pub mod session;
pub mod signup;
pub mod sso;
pub mod tenant_audit;
pub mod two_factor;
pub mod webhooks;
