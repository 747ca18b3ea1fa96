use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0023_self_serve_signup"
    }
}

/// Self-serve signup. A tenant made by a signup stays `pending` until its
/// owner confirms their address; `signup_expires_at` says when an
/// unconfirmed one lapses (null for every tenant an operator made).
const SIGNUP_EXPIRY: &str = "ALTER TABLE tenants ADD COLUMN signup_expires_at timestamptz NULL";

/// Tenant units (a schema, a database, a SQLite file) made ahead from the
/// current template, waiting for a signup to claim one: `id` becomes the
/// tenant's id, so the unit's name already fits it. `version` is the tenant
/// migration the unit was made at; a unit of an older one is never claimed.
/// It names no tenant: none exists until the claim.
const WARM_UNITS: &str = "CREATE TABLE warm_units (
    id uuid NOT NULL PRIMARY KEY,
    placement text NOT NULL,
    location text NULL,
    version text NOT NULL,
    created_at timestamptz NOT NULL
)";

const WARM_UNITS_INDEX: &str =
    "CREATE INDEX warm_units_by_placement ON warm_units (placement, created_at)";

/// The console's tenant list reads a page at a time in one of its sorts
/// (`catalog::tenants::page`): each sort walks an index from its cursor
/// instead of sorting the fleet (the slug's unique index serves that sort).
const LIST_INDEXES: [&str; 2] = [
    "CREATE INDEX tenants_by_created ON tenants (created_at, id)",
    "CREATE INDEX tenants_by_name ON tenants (name, id)",
];

/// The console searches 100,000 tenants by any part of the slug or name
/// (`LIKE '%…%'`): trigram indexes answer that without reading every row.
/// `pg_trgm` ships with PostgreSQL and is trusted (the database's owner may
/// create it); where it is missing the search still works, by a scan.
const TRIGRAM_INDEXES: &str = "DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX tenants_slug_trigrams ON tenants USING gin (slug gin_trgm_ops);
        CREATE INDEX tenants_name_trigrams ON tenants USING gin (lower(name) gin_trgm_ops);
    END IF;
END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[SIGNUP_EXPIRY, WARM_UNITS, WARM_UNITS_INDEX]).await?;
        sql::run(manager, &LIST_INDEXES).await?;
        if sql::is_postgres(manager) {
            sql::run(manager, &[TRIGRAM_INDEXES]).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(
                manager,
                &[
                    "DROP INDEX IF EXISTS tenants_slug_trigrams",
                    "DROP INDEX IF EXISTS tenants_name_trigrams",
                ],
            )
            .await?;
        }
        sql::run(
            manager,
            &[
                "DROP INDEX tenants_by_created",
                "DROP INDEX tenants_by_name",
                "DROP TABLE warm_units",
                "ALTER TABLE tenants DROP COLUMN signup_expires_at",
            ],
        )
        .await
    }
}
