//! The sample product: projects with tasks. Written as any application code
//! should be: it receives a `TenantDb` and never mentions `tenant_id`.

pub mod plan_usage;
pub mod projects;
pub mod tasks;
