use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_periodic_work"
    }
}

/// The platform's periodic work (domain re-checks, billing period close,
/// purges…): one row per kind of work, naming when it is next due. An
/// instance runs a period's work only after moving `next_due` past now in
/// one conditional update, so N instances run each period's work once.
/// It names no tenant: the platform's own bookkeeping.
const TABLE: &str = "CREATE TABLE periodic_work (
    name text NOT NULL PRIMARY KEY,
    next_due timestamptz NOT NULL,
    last_started_at timestamptz NULL,
    last_instance text NULL
)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[TABLE]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE periodic_work"]).await
    }
}
