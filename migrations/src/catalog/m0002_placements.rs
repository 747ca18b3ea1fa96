use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_placements"
    }
}

// Additive only (see docs/migrations.md): a nullable column and new tables, so
// a server still on m0001 keeps working beside one on m0002.
const TABLES: &[&str] = &[
    // The schema or database name a `schema` / `database` placement lives in.
    "ALTER TABLE tenants ADD COLUMN location text NULL",
    // Moves between placements, with the step reached so that a crashed move
    // can be resumed or rolled back.
    "CREATE TABLE tenant_moves (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        from_placement text NOT NULL,
        from_location text NULL,
        to_placement text NOT NULL,
        to_location text NULL,
        step text NOT NULL,
        rows_total bigint NOT NULL,
        rows_copied bigint NOT NULL,
        freeze_ms bigint NULL,
        error text NULL,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz NULL
    )",
    "CREATE UNIQUE INDEX tenant_moves_open_idx ON tenant_moves (tenant) WHERE finished_at IS NULL",
    "CREATE INDEX tenant_moves_started_idx ON tenant_moves (tenant, started_at)",
    // One row per migratable unit of the tenant plane: the shared pool, the
    // templates, each schema, each database, each SQLite file.
    "CREATE TABLE fleet_units (
        unit text NOT NULL PRIMARY KEY,
        tenant uuid NULL REFERENCES tenants (id) ON DELETE CASCADE,
        version text NOT NULL,
        status text NOT NULL,
        error text NULL,
        updated_at timestamptz NOT NULL
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
                "DROP TABLE fleet_units",
                "DROP TABLE tenant_moves",
                "ALTER TABLE tenants DROP COLUMN location",
            ],
        )
        .await
    }
}
