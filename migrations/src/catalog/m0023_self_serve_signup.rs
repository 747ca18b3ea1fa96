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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[SIGNUP_EXPIRY, WARM_UNITS, WARM_UNITS_INDEX]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE warm_units",
                "ALTER TABLE tenants DROP COLUMN signup_expires_at",
            ],
        )
        .await
    }
}
