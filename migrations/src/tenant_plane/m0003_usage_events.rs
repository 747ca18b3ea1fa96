use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::rls_statements;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_usage_events"
    }
}

/// Usage events, one row each, keyed by the sender's idempotency key: a
/// retried event hits the primary key and is counted once. `day` is the UTC
/// date of `occurred_at`, so that daily series group the same way on both
/// backends; `properties` is a JSON object of strings.
const TABLES: &[&str] = &[
    "CREATE TABLE usage_events (
        tenant_id uuid NOT NULL,
        id text NOT NULL,
        meter text NOT NULL,
        quantity bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        day text NOT NULL,
        properties text NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE INDEX usage_events_meter_idx ON usage_events (tenant_id, meter, occurred_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await?;
        if sql::is_postgres(manager) {
            let statements = rls_statements("usage_events");
            let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
            sql::run(manager, &refs).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE usage_events"]).await
    }
}
