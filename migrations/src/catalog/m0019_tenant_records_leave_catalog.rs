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
/// exceptions to its plan and its quota counters live in the tenant plane
/// (tenant plane m0006). This migration sets the catalog's rows aside for
/// the fleet migration to copy into each tenant's placement
/// (`tenancy::legacy`) and drops the catalog tables.
pub const MOVED: &[&str] = &[
    "tenant_branding",
    "tenant_domains",
    "entitlement_overrides",
    "quota_usage",
];

/// The directory entry routing needs: a verified host name and its tenant
/// (no token, no state). Its primary key is what makes a host name verified
/// by one tenant at most.
pub const DIRECTORY: &[&str] = &["verified_hosts"];

const VERIFIED_HOSTS: &str = "CREATE TABLE verified_hosts (
    hostname text NOT NULL PRIMARY KEY,
    tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    verified_at timestamptz NOT NULL
)";

/// Filled from the domains being set aside; the domain re-check loop visits
/// the tenants the directory notes (`work_due`, queue `domains`).
fn directory_rows(source: &str) -> [String; 3] {
    [
        format!(
            "INSERT INTO verified_hosts (hostname, tenant, verified_at)
             SELECT hostname, tenant, coalesce(verified_at, created_at) FROM {source}
             WHERE state = 'verified'"
        ),
        format!(
            "INSERT INTO work_due (tenant, queue, due_at, noted_at)
             SELECT tenant, 'domains', min(next_check_at), min(next_check_at) FROM {source}
             GROUP BY tenant"
        ),
        "CREATE INDEX verified_hosts_tenant_idx ON verified_hosts (tenant)".to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements: Vec<String> = vec![VERIFIED_HOSTS.to_owned()];
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
            statements.extend(directory_rows(&format!("{LEGACY_SCHEMA}.tenant_domains")));
            statements.extend(wall("verified_hosts"));
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
            statements.extend(directory_rows("legacy_tenant_domains"));
        }
        for table in MOVED {
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
