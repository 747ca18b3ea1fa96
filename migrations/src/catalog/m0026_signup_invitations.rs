use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0026_signup_invitations"
    }
}

/// Where signup is by invitation (`signup.mode = invite`), the
/// invitations a superadmin issued: one address each, single use, expiring;
/// only the token's digest is kept. They name no tenant: none exists until
/// the invitation is used.
const TABLE: &str = "CREATE TABLE signup_invitations (
    token_hash text NOT NULL PRIMARY KEY,
    email text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz NULL
)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[TABLE]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE signup_invitations"]).await
    }
}
