//! Postgres specifics: binding a tenant to a transaction, and the grants the
//! runtime role gets after migrations.

use super::TenantId;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// Binds the tenant for the rest of the transaction only (`is_local = true`),
/// so a pooled connection never carries a tenant to its next borrower.
pub(super) async fn bind_tenant<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('app.tenant_id', $1, true)",
        [tenant.to_string().into()],
    ))
    .await
    .map(|_| ())
}

/// The role name of the connection's user.
pub(super) async fn current_role(conn: &DatabaseConnection) -> Result<String, DbErr> {
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_user::text AS r",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("current_user returned no row".into()))?;
    row.try_get("", "r")
}

/// Gives the runtime role exactly what the application needs on the tables
/// the owner created: no TRUNCATE, no DDL, no ownership.
pub(super) async fn grant_runtime_role(
    owner: &DatabaseConnection,
    runtime_role: &str,
) -> Result<(), DbErr> {
    let role = quote_ident(runtime_role);
    for sql in [
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("REVOKE TRUNCATE ON ALL TABLES IN SCHEMA public FROM {role}"),
    ] {
        owner.execute_unprepared(&sql).await?;
    }
    Ok(())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
