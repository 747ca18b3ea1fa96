use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_session_handles"
    }
}

/// A session's public handle, copied out of its data like its subject: a
/// platform token issued from a session names the handle (never the cookie's
/// secret id) and is refused once no live session has it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE sessions ADD COLUMN handle uuid NULL",
                "CREATE INDEX sessions_handle_idx ON sessions (handle)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP INDEX sessions_handle_idx",
                "ALTER TABLE sessions DROP COLUMN handle",
            ],
        )
        .await
    }
}
