use crate::catalog::m0014_identity_leaves_catalog::LEGACY_SCHEMA;
use crate::catalog::m0016_directory_wall::statements as wall;
use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_tenant_records_leave_catalog"
    }
}

/// A tenant's branding and custom domains (managed by its admins), the
/// exceptions to its plan, its quota counters, its billing account, credit
/// and final invoices live in the tenant plane (tenant plane m0006). This
/// migration sets the catalog's rows aside for the fleet migration to copy
/// into each tenant's placement (`tenancy::legacy`) and drops the catalog
/// tables.
pub const MOVED: &[&str] = &[
    "tenant_branding",
    "tenant_domains",
    "entitlement_overrides",
    "quota_usage",
    "billing_accounts",
    "credit_grants",
    "invoices",
];

/// Directory entries, holding no secret: a verified host name and its
/// tenant (routing; the primary key makes a name verified by one tenant at
/// most), and a Stripe customer and its tenant (Stripe's events name the
/// customer).
pub const DIRECTORY: &[&str] = &["verified_hosts", "stripe_customers"];

const DIRECTORY_TABLES: &[&str] = &[
    "CREATE TABLE verified_hosts (
        hostname text NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        verified_at timestamptz NOT NULL
    )",
    "CREATE TABLE stripe_customers (
        customer text NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL
    )",
];

/// Filled from the rows being set aside (`legacy`: their table's name
/// before the table's own); the background loops visit the tenants the
/// directory notes (`work_due`): `domains` for re-checks, `invoices` for
/// closing periods (every live tenant, looked at once), `billing` for the
/// grace period of a past-due account.
fn directory_rows(legacy: &str) -> Vec<String> {
    vec![
        format!(
            "INSERT INTO stripe_customers (customer, tenant, created_at)
             SELECT stripe_customer_id, tenant, updated_at FROM {legacy}billing_accounts
             WHERE stripe_customer_id IS NOT NULL"
        ),
        format!(
            "INSERT INTO work_due (tenant, queue, due_at, noted_at)
             SELECT tenant, 'billing', past_due_since, past_due_since FROM {legacy}billing_accounts
             WHERE status = 'past_due' AND NOT suspended_for_billing AND past_due_since IS NOT NULL"
        ),
        "INSERT INTO work_due (tenant, queue, due_at, noted_at)
         SELECT id, 'invoices', created_at, created_at FROM tenants
         WHERE state IN ('active', 'suspended')"
            .to_owned(),
        format!(
            "INSERT INTO verified_hosts (hostname, tenant, verified_at)
             SELECT hostname, tenant, coalesce(verified_at, created_at)
             FROM {legacy}tenant_domains WHERE state = 'verified'"
        ),
        format!(
            "INSERT INTO work_due (tenant, queue, due_at, noted_at)
             SELECT tenant, 'domains', min(next_check_at), min(next_check_at)
             FROM {legacy}tenant_domains GROUP BY tenant"
        ),
        "CREATE INDEX verified_hosts_tenant_idx ON verified_hosts (tenant)".to_owned(),
        "CREATE INDEX stripe_customers_tenant_idx ON stripe_customers (tenant)".to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements: Vec<String> =
            DIRECTORY_TABLES.iter().map(|s| (*s).to_owned()).collect();
        if sql::is_postgres(manager) {
            statements.push(format!("CREATE SCHEMA IF NOT EXISTS {LEGACY_SCHEMA}"));
            statements.push(format!(
                "CREATE TABLE IF NOT EXISTS {LEGACY_SCHEMA}.copied (tenant uuid NOT NULL PRIMARY KEY)"
            ));
            for table in MOVED {
                // The owner reads every tenant's rows to set them aside
                // (m0017 forced the wall on it too).
                statements.push(format!("ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"));
                statements.push(format!(
                    "CREATE TABLE {LEGACY_SCHEMA}.{table} AS SELECT * FROM {table}"
                ));
            }
            // The owner writes every tenant's directory entries (m0016 forced
            // the wall on it too).
            statements.push("ALTER TABLE work_due NO FORCE ROW LEVEL SECURITY".into());
            statements.extend(directory_rows(&format!("{LEGACY_SCHEMA}.")));
            statements.push("ALTER TABLE work_due FORCE ROW LEVEL SECURITY".into());
            for table in DIRECTORY {
                statements.extend(wall(table));
            }
            statements.push(
                "CREATE TRIGGER verified_hosts_changed AFTER INSERT OR UPDATE OR DELETE
                 ON verified_hosts FOR EACH ROW EXECUTE FUNCTION tenantry_tenant_changed()"
                    .to_owned(),
            );
        } else {
            statements.push(
                "CREATE TABLE IF NOT EXISTS legacy_copied (tenant uuid NOT NULL PRIMARY KEY)"
                    .to_owned(),
            );
            for table in MOVED {
                statements.push(format!(
                    "CREATE TABLE legacy_{table} AS SELECT * FROM {table}"
                ));
            }
            statements.extend(directory_rows("legacy_"));
        }
        // Dependents first (credit grants and invoices name their account).
        for table in MOVED.iter().rev() {
            statements.push(format!("DROP TABLE {table}"));
        }
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        sql::run(manager, &refs).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0019 moves tenants' records into the tenant plane; it is not reversible".into(),
        ))
    }
}
