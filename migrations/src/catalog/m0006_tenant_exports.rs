use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_tenant_exports"
    }
}

// Additive only: a new table.
const TABLES: &[&str] = &[
    // A tenant's data export: produced in the background (with progress),
    // downloadable by that tenant's admins until it expires.
    "CREATE TABLE tenant_exports (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        state text NOT NULL,
        requested_by text NOT NULL,
        rows_total bigint NOT NULL,
        rows_done bigint NOT NULL,
        size_bytes bigint NULL,
        sha256 text NULL,
        error text NULL,
        created_at timestamptz NOT NULL,
        finished_at timestamptz NULL,
        expires_at timestamptz NULL
    )",
    "CREATE INDEX tenant_exports_tenant_idx ON tenant_exports (tenant, created_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE tenant_exports"]).await
    }
}
