use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_tls"
    }
}

// Additive only: new tables.
const TABLES: &[&str] = &[
    // A certificate per verified custom domain; the private key is sealed
    // (AEAD with the deployment's secret key), never stored in clear.
    "CREATE TABLE tls_certificates (
        hostname text NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        chain_pem text NOT NULL,
        key_sealed text NOT NULL,
        not_after timestamptz NOT NULL,
        issued_at timestamptz NOT NULL
    )",
    // HTTP-01 answers, shared by every instance (the CA may ask any of them).
    "CREATE TABLE acme_challenges (
        token text NOT NULL PRIMARY KEY,
        key_authorization text NOT NULL,
        hostname text NOT NULL,
        created_at timestamptz NOT NULL
    )",
    // Every issuance attempt, for the per-tenant rate limit and the record.
    "CREATE TABLE tls_issuances (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        hostname text NOT NULL,
        outcome text NOT NULL,
        at timestamptz NOT NULL
    )",
    "CREATE INDEX tls_issuances_tenant_idx ON tls_issuances (tenant, at)",
    // The platform's ACME account (credentials sealed).
    "CREATE TABLE acme_accounts (
        directory text NOT NULL PRIMARY KEY,
        credentials_sealed text NOT NULL,
        created_at timestamptz NOT NULL
    )",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE acme_accounts",
                "DROP TABLE tls_issuances",
                "DROP TABLE acme_challenges",
                "DROP TABLE tls_certificates",
            ],
        )
        .await
    }
}
