use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0030_tenant_keys"
    }
}

/// Whether a tenant has been given its data key (`tenancy::keys`). The keys
/// live in the keyring, apart from the catalog; this flag is what tells a
/// tenant whose key was never made (made on first use) from one whose key
/// was destroyed (its data is unreadable, and stays so).
const STATEMENTS: &[&str] =
    &["ALTER TABLE tenants ADD COLUMN keyed boolean NOT NULL DEFAULT false"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, STATEMENTS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["ALTER TABLE tenants DROP COLUMN keyed"]).await
    }
}
