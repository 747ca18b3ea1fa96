use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_tenant_restores"
    }
}

/// Restores and imports into the tenant's plane (`lifecycle::restore`):
/// where the data came from (an export of this platform, or files brought
/// in from outside), how far the background work has got, and what it
/// refused. The source archive is kept sealed in object storage meanwhile.
pub const TABLES: &[&str] = &["tenant_restores"];

const DDL: &[&str] = &["CREATE TABLE tenant_restores (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        kind text NOT NULL,
        source text NOT NULL,
        state text NOT NULL,
        rows_total bigint NOT NULL,
        rows_done bigint NOT NULL,
        files_total bigint NOT NULL,
        files_done bigint NOT NULL,
        requested_by text NOT NULL,
        error text NULL,
        created_at timestamptz NOT NULL,
        finished_at timestamptz NULL,
        PRIMARY KEY (tenant_id, id)
    )"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        wall_tables(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE tenant_restores"]).await
    }
}
