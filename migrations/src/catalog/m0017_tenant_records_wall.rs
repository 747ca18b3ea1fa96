use super::m0016_directory_wall::{statements, unwall_statements};
use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_tenant_records_wall"
    }
}

/// The platform's records about one tenant that stay in the catalog because
/// the platform also acts on them across tenants: its branding and domains
/// (host resolution), certificates and issuance attempts (renewals), plan
/// overrides and quota counters (the policy), and its billing account,
/// credit, invoices and plan history (billing runs). On PostgreSQL they go
/// behind the wall like the directory (m0016): a catalog transaction bound
/// to one tenant (`tenancy::TenantRecords`) sees that tenant's rows, the
/// platform scope sees all, anything else sees none. Later migrations moved
/// some of them into the tenant plane (`crate::TENANT_RECORDS` lists those
/// still here).
pub const WALLED: &[&str] = &[
    "tenant_branding",
    "tenant_domains",
    "tls_certificates",
    "tls_issuances",
    "entitlement_overrides",
    "quota_usage",
    "billing_accounts",
    "credit_grants",
    "invoices",
    "plan_assignments",
];

/// Credit grants named only their account; they now name its tenant too,
/// so that the wall can hold them.
const CREDIT_TENANT_PG: &[&str] = &[
    "ALTER TABLE credit_grants ADD COLUMN tenant uuid NULL REFERENCES tenants (id) ON DELETE CASCADE",
    "UPDATE credit_grants SET tenant = (SELECT a.tenant FROM billing_accounts a WHERE a.id = credit_grants.account)",
    "ALTER TABLE credit_grants ALTER COLUMN tenant SET NOT NULL",
    "CREATE INDEX credit_grants_tenant_idx ON credit_grants (tenant, account)",
    // The tenant's record carries its account's standing: a change
    // refreshes it on every instance, as branding and domains do (m0003).
    "CREATE TRIGGER billing_accounts_changed AFTER INSERT OR UPDATE OR DELETE ON billing_accounts
     FOR EACH ROW EXECUTE FUNCTION tenantry_tenant_changed()",
];

// SQLite cannot add a NOT NULL column to a filled table; every row is filled
// here and every new row is stamped by `TenantRecords`.
const CREDIT_TENANT_SQLITE: &[&str] = &[
    "ALTER TABLE credit_grants ADD COLUMN tenant uuid NULL REFERENCES tenants (id) ON DELETE CASCADE",
    "UPDATE credit_grants SET tenant = (SELECT a.tenant FROM billing_accounts a WHERE a.id = credit_grants.account)",
    "CREATE INDEX credit_grants_tenant_idx ON credit_grants (tenant, account)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !sql::is_postgres(manager) {
            return sql::run(manager, CREDIT_TENANT_SQLITE).await;
        }
        sql::run(manager, CREDIT_TENANT_PG).await?;
        for table in WALLED {
            let statements = statements(table);
            let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
            sql::run(manager, &refs).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(
                manager,
                &["DROP TRIGGER billing_accounts_changed ON billing_accounts"],
            )
            .await?;
            for table in WALLED {
                let statements = unwall_statements(table);
                let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
                sql::run(manager, &refs).await?;
            }
        }
        sql::run(
            manager,
            &[
                "DROP INDEX credit_grants_tenant_idx",
                "ALTER TABLE credit_grants DROP COLUMN tenant",
            ],
        )
        .await
    }
}
