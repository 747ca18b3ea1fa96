use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0028_clusters"
    }
}

/// Which PostgreSQL cluster holds each tenant (`config/clusters.rs`):
/// `NULL` is the home cluster, the catalog's own, where every tenant was
/// before; a move records the cluster at each end.
const STATEMENTS: &[&str] = &[
    "ALTER TABLE tenants ADD COLUMN cluster text",
    "ALTER TABLE tenant_moves ADD COLUMN from_cluster text",
    "ALTER TABLE tenant_moves ADD COLUMN to_cluster text",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, STATEMENTS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE tenant_moves DROP COLUMN to_cluster",
                "ALTER TABLE tenant_moves DROP COLUMN from_cluster",
                "ALTER TABLE tenants DROP COLUMN cluster",
            ],
        )
        .await
    }
}
