use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_custom_domains"
    }
}

// Additive only: a new table (and, on Postgres, its change notification).
const TABLES: &[&str] = &[
    // A tenant's claim on a host name, proven by a DNS TXT record. Several
    // tenants may claim the same name (so nobody can squat it by claiming it
    // first), each with its own token; only one can hold it verified.
    "CREATE TABLE tenant_domains (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        hostname text NOT NULL,
        state text NOT NULL,
        token text NOT NULL,
        is_primary boolean NOT NULL,
        failures integer NOT NULL,
        last_error text NULL,
        checked_at timestamptz NULL,
        next_check_at timestamptz NOT NULL,
        verified_at timestamptz NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (tenant, hostname)
    )",
    "CREATE UNIQUE INDEX tenant_domains_verified_idx ON tenant_domains (hostname) WHERE state = 'verified'",
    "CREATE INDEX tenant_domains_due_idx ON tenant_domains (next_check_at)",
];

/// Routing reads verified domains from the in-memory tenant map, so a change
/// notifies like a change to the tenant itself (see m0003).
const NOTIFY: &[&str] = &[
    "CREATE TRIGGER tenant_domains_changed AFTER INSERT OR UPDATE OR DELETE ON tenant_domains
     FOR EACH ROW EXECUTE FUNCTION tenantry_tenant_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await?;
        if sql::is_postgres(manager) {
            sql::run(manager, NOTIFY).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE tenant_domains"]).await
    }
}
