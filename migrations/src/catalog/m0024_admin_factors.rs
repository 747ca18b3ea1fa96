use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0024_admin_factors"
    }
}

/// A superadmin's second factor, as `member_factors` is a member's: the
/// sealed TOTP secret, the last accepted time step, the digests of the
/// unused recovery codes. It goes when the admin goes.
const ADMIN_FACTORS: &str = "CREATE TABLE admin_factors (
    admin_id uuid NOT NULL PRIMARY KEY REFERENCES platform_admins (id) ON DELETE CASCADE,
    secret_sealed text NOT NULL,
    last_step bigint NULL,
    recovery_codes text NOT NULL,
    enrolled_at timestamptz NOT NULL
)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[ADMIN_FACTORS]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE admin_factors"]).await
    }
}
