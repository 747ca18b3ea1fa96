use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_branding_favicon"
    }
}

// Additive only: a nullable column. The favicon itself lives in the tenant's
// object storage; this is the URL it is served at (with a version).
const COLUMNS: &[&str] = &["ALTER TABLE tenant_branding ADD COLUMN favicon_url text NULL"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, COLUMNS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &["ALTER TABLE tenant_branding DROP COLUMN favicon_url"],
        )
        .await
    }
}
