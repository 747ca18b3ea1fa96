use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_branding_complete"
    }
}

// Additive only: nullable columns (one per statement, as SQLite requires).
const COLUMNS: &[&str] = &[
    "ALTER TABLE tenant_branding ADD COLUMN product_name text NULL",
    "ALTER TABLE tenant_branding ADD COLUMN support_email text NULL",
    "ALTER TABLE tenant_branding ADD COLUMN primary_color_dark text NULL",
    "ALTER TABLE tenant_branding ADD COLUMN accent_color_dark text NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, COLUMNS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE tenant_branding DROP COLUMN accent_color_dark",
                "ALTER TABLE tenant_branding DROP COLUMN primary_color_dark",
                "ALTER TABLE tenant_branding DROP COLUMN support_email",
                "ALTER TABLE tenant_branding DROP COLUMN product_name",
            ],
        )
        .await
    }
}
