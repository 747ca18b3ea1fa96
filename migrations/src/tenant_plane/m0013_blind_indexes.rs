use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_blind_indexes"
    }
}

/// Blind indexes of sealed addresses (`tenancy::keys::personal`): with
/// `encryption.personal_data` naming `users.email` or `invitations.email`,
/// the address is stored sealed (a different text every time) and these
/// columns hold a keyed digest of it, the one thing an equality lookup and
/// the uniqueness of a member's address can use. Empty while addresses are
/// stored plain.
const DDL: &[&str] = &[
    "ALTER TABLE users ADD COLUMN email_index text NULL",
    "CREATE UNIQUE INDEX users_email_index_key ON users (tenant_id, email_index)",
    "ALTER TABLE invitations ADD COLUMN email_index text NULL",
    "CREATE INDEX invitations_email_index_idx ON invitations (tenant_id, email_index)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP INDEX invitations_email_index_idx",
                "ALTER TABLE invitations DROP COLUMN email_index",
                "DROP INDEX users_email_index_key",
                "ALTER TABLE users DROP COLUMN email_index",
            ],
        )
        .await
    }
}
