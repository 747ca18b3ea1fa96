use sea_orm_migration::prelude::*;

pub(crate) mod m0001_identity_and_projects;
mod m0002_placement_fences;
mod m0003_usage_events;
mod m0004_identity_and_mail;
mod m0005_webhooks;
mod m0006_tenant_records;
mod m0007_sso_identities;
mod m0008_jobs;
mod m0009_two_factor;
mod m0010_connect;
mod m0011_key_rotations;
mod m0012_tenant_restores;
mod m0013_blind_indexes;

/// Tenant-plane tables, in creation order. The isolation self-audit checks each
/// table that has a `tenant_id` column, so a table missing from this list is
/// still audited.
pub const TENANT_TABLES: &[&str] = &[
    "users",
    "memberships",
    "projects",
    "tasks",
    "usage_events",
    "api_keys",
    "invitations",
    "password_resets",
    "email_verifications",
    "sso_configs",
    "impersonations",
    "support_access_refusals",
    "mail_outbox",
    "audit_log",
    "tenant_exports",
    "webhook_endpoints",
    "webhook_deliveries",
    "tenant_branding",
    "tenant_domains",
    "entitlement_overrides",
    "quota_usage",
    "billing_accounts",
    "credit_grants",
    "invoices",
    "platform_outbox",
    "sso_identities",
    "jobs",
    "member_factors",
    "sign_in_rules",
    "connected_accounts",
    "offers",
    "purchases",
    "key_rotations",
    "tenant_restores",
];

/// The tenant plane: applied to the shared Postgres tables (pool placement),
/// to each tenant schema and database, and to each tenant's SQLite file.
pub struct TenantMigrator;

#[async_trait::async_trait]
impl MigratorTrait for TenantMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_identity_and_projects::Migration),
            Box::new(m0002_placement_fences::Migration),
            Box::new(m0003_usage_events::Migration),
            Box::new(m0004_identity_and_mail::Migration),
            Box::new(m0005_webhooks::Migration),
            Box::new(m0006_tenant_records::Migration),
            Box::new(m0007_sso_identities::Migration),
            Box::new(m0008_jobs::Migration),
            Box::new(m0009_two_factor::Migration),
            Box::new(m0010_connect::Migration),
            Box::new(m0011_key_rotations::Migration),
            Box::new(m0012_tenant_restores::Migration),
            Box::new(m0013_blind_indexes::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "tenant_migrations".into_iden()
    }
}
