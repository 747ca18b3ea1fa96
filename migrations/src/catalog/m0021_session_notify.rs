use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_session_notify"
    }
}

/// Every change to a stored session, by any process, notifies
/// `tenantry_sessions` at commit with a SHA-256 of the session's id (the id
/// itself is the cookie's secret, and any role that may connect may listen);
/// servers listen and drop the session from their in-memory cache. Postgres
/// only (SQLite has no notifications; its cache entries expire instead).
const STATEMENTS: &[&str] = &[
    r#"CREATE FUNCTION tenantry_session_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        changed text := CASE TG_OP WHEN 'DELETE' THEN OLD.id ELSE NEW.id END;
    BEGIN
        PERFORM pg_notify('tenantry_sessions', encode(sha256(convert_to(changed, 'UTF8')), 'hex'));
        RETURN NULL;
    END
    $fn$"#,
    "CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions
     FOR EACH ROW EXECUTE FUNCTION tenantry_session_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(manager, STATEMENTS).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(
                manager,
                &[
                    "DROP TRIGGER sessions_changed ON sessions",
                    "DROP FUNCTION tenantry_session_changed()",
                ],
            )
            .await?;
        }
        Ok(())
    }
}
