use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_two_factor"
    }
}

/// Two-factor sign-in. `member_factors` holds a member's TOTP secret
/// (sealed with the deployment's key), the last time step a code was
/// accepted for (a code is never accepted twice), and the SHA-256 digests
/// of their unused recovery codes (a JSON list). `sign_in_rules` is the
/// tenant's own rule: whether its members must use a second factor.
pub const TABLES: &[&str] = &["member_factors", "sign_in_rules"];

const DDL: &[&str] = &[
    "CREATE TABLE member_factors (
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        secret_sealed text NOT NULL,
        last_step bigint NULL,
        recovery_codes text NOT NULL,
        enrolled_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, user_id)
    )",
    "CREATE TABLE sign_in_rules (
        tenant_id uuid NOT NULL PRIMARY KEY,
        require_two_factor boolean NOT NULL,
        updated_at timestamptz NOT NULL
    )",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        wall_tables(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &["DROP TABLE sign_in_rules", "DROP TABLE member_factors"],
        )
        .await
    }
}
