use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_key_rotations"
    }
}

/// Rotations of the tenant's data key (`lifecycle::key_rotation`): the new
/// generation, where the background re-sealing stands (values and objects
/// sealed so far, of how many) and who asked. The keys themselves are in
/// the keyring, never here.
pub const TABLES: &[&str] = &["key_rotations"];

const DDL: &[&str] = &["CREATE TABLE key_rotations (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        generation integer NOT NULL,
        state text NOT NULL,
        values_total bigint NOT NULL,
        values_done bigint NOT NULL,
        objects_total bigint NOT NULL,
        objects_done bigint NOT NULL,
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
        sql::run(manager, &["DROP TABLE key_rotations"]).await
    }
}
