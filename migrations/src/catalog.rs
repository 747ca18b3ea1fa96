use sea_orm_migration::prelude::*;

mod m0001_control_plane;
mod m0002_placements;
mod m0003_tenant_notify;
mod m0004_lifecycle_events;
mod m0005_custom_domains;
mod m0006_tenant_exports;
mod m0007_branding_complete;
mod m0008_branding_favicon;
mod m0009_tls;
mod m0010_plans_and_flags;
mod m0011_identity;
mod m0012_billing;
mod m0013_stripe_mirror;
pub mod m0014_identity_leaves_catalog;
pub mod m0015_webhooks_leave_catalog;
pub mod m0016_directory_wall;
pub mod m0017_tenant_records_wall;
pub mod m0018_retained_invoices;
pub mod m0019_tenant_records_leave_catalog;
mod m0020_session_handles;
mod m0021_session_notify;
mod m0022_periodic_work;
mod m0023_self_serve_signup;
mod m0024_admin_factors;
pub mod m0025_member_directory;
mod m0026_signup_invitations;
pub mod m0027_cost_ledger;
pub mod m0028_clusters;
pub mod m0029_connect;
pub mod m0030_tenant_keys;

/// The control-plane catalog.
pub struct CatalogMigrator;

#[async_trait::async_trait]
impl MigratorTrait for CatalogMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_control_plane::Migration),
            Box::new(m0002_placements::Migration),
            Box::new(m0003_tenant_notify::Migration),
            Box::new(m0004_lifecycle_events::Migration),
            Box::new(m0005_custom_domains::Migration),
            Box::new(m0006_tenant_exports::Migration),
            Box::new(m0007_branding_complete::Migration),
            Box::new(m0008_branding_favicon::Migration),
            Box::new(m0009_tls::Migration),
            Box::new(m0010_plans_and_flags::Migration),
            Box::new(m0011_identity::Migration),
            Box::new(m0012_billing::Migration),
            Box::new(m0013_stripe_mirror::Migration),
            Box::new(m0014_identity_leaves_catalog::Migration),
            Box::new(m0015_webhooks_leave_catalog::Migration),
            Box::new(m0016_directory_wall::Migration),
            Box::new(m0017_tenant_records_wall::Migration),
            Box::new(m0018_retained_invoices::Migration),
            Box::new(m0019_tenant_records_leave_catalog::Migration),
            Box::new(m0020_session_handles::Migration),
            Box::new(m0021_session_notify::Migration),
            Box::new(m0022_periodic_work::Migration),
            Box::new(m0023_self_serve_signup::Migration),
            Box::new(m0024_admin_factors::Migration),
            Box::new(m0025_member_directory::Migration),
            Box::new(m0026_signup_invitations::Migration),
            Box::new(m0027_cost_ledger::Migration),
            Box::new(m0028_clusters::Migration),
            Box::new(m0029_connect::Migration),
            Box::new(m0030_tenant_keys::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "catalog_migrations".into_iden()
    }
}
