use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_stripe_mirror"
    }
}

// Additive only: what the Stripe mirror has created on Stripe's side, by our
// own key, so that each object is created once and found again.
// `kind` is `meter` (our_key: meter key), `price` (our_key: plan/price/
// fingerprint of its definition) or `usage` (our_key: account/meter/period;
// `value`: the aggregate last reported).
const TABLES: &[&str] = &["CREATE TABLE stripe_mirror (
        kind text NOT NULL,
        our_key text NOT NULL,
        stripe_id text NOT NULL,
        value bigint NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (kind, our_key)
    )"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE stripe_mirror"]).await
    }
}
