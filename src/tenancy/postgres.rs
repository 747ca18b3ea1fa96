//! Postgres specifics: grants, identifiers, and the DDL of schema and
//! database placements (cloning templates, dropping).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};

/// The role name of the connection's user.
pub(super) async fn current_role<C: ConnectionTrait>(conn: &C) -> Result<String, DbErr> {
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
/// the owner created in `public`: no TRUNCATE, no DDL, no ownership, and the
/// audit logs append-only; and the platform role the same. In one
/// transaction, so that neither role ever holds, even briefly, the broad
/// grant before the narrowing revokes.
pub(super) async fn grant_runtime_role(
    owner: &DatabaseConnection,
    runtime_role: &str,
) -> Result<(), DbErr> {
    let txn = owner.begin().await?;
    grant_schema(&txn, "public", runtime_role).await?;
    // The platform scope (`PlatformDb`) acts as its own role: the same
    // privileges, so that only the directory's platform policies differ.
    grant_schema(&txn, "public", tenantry_migrations::PLATFORM_ROLE).await?;
    txn.commit().await
}

/// A SQL string literal.
pub(super) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

pub(super) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The schema that `schema` placements are cloned from.
pub(super) const TEMPLATE_SCHEMA: &str = "tenant_template";

/// Grants the runtime role what it needs in one schema. Bookkeeping tables
/// (fences, migration history) are read-only to it; audit logs (see
/// [`super::audit::is_audit_log`]) are append-only: SELECT and INSERT.
pub(super) async fn grant_schema<C: ConnectionTrait>(
    owner: &C,
    schema: &str,
    runtime_role: &str,
) -> Result<(), DbErr> {
    let role = quote_ident(runtime_role);
    let s = quote_ident(schema);
    let mut statements = vec![
        format!("GRANT USAGE ON SCHEMA {s} TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {role}"),
        format!("REVOKE TRUNCATE ON ALL TABLES IN SCHEMA {s} FROM {role}"),
    ];
    for table in ["tenant_fences", "tenant_migrations"] {
        if table_exists(owner, schema, table).await? {
            statements.push(format!(
                "REVOKE INSERT, UPDATE, DELETE ON {s}.{} FROM {role}",
                quote_ident(table)
            ));
        }
    }
    let tables = owner
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = $1",
            [schema.into()],
        ))
        .await?;
    for row in tables {
        let table: String = row.try_get("", "t")?;
        if super::audit::is_audit_log(&table) {
            // Also revokes any column-level UPDATE.
            statements.push(format!(
                "REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER ON {s}.{} FROM {role}",
                quote_ident(&table)
            ));
        }
    }
    for sql in statements {
        owner.execute_unprepared(&sql).await?;
    }
    Ok(())
}

async fn table_exists<C: ConnectionTrait>(
    conn: &C,
    schema: &str,
    table: &str,
) -> Result<bool, DbErr> {
    Ok(conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS x FROM pg_tables WHERE schemaname = $1 AND tablename = $2",
            [schema.into(), table.into()],
        ))
        .await?
        .is_some())
}

/// Creates `target` as a copy of the template schema's DDL — tables, keys,
/// indexes, row-level security, policies and triggers — plus its migration history, in
/// one transaction. Far faster than replaying every migration per tenant.
pub(super) async fn clone_template_schema(
    owner: &DatabaseConnection,
    target: &str,
    runtime_role: &str,
) -> Result<(), DbErr> {
    let tpl = quote_ident(TEMPLATE_SCHEMA);
    let t = quote_ident(target);
    let txn = owner.begin().await?;
    txn.execute_unprepared(&format!(
        "DROP SCHEMA IF EXISTS {t} CASCADE; CREATE SCHEMA {t}; SET LOCAL search_path = {tpl}"
    ))
    .await?;
    // Read with the template on the search path, so every definition comes
    // back unqualified and is re-created in the target below.
    let tables = strings(
        &txn,
        "SELECT c.relname::text AS a,
                CASE WHEN c.relrowsecurity THEN 'ENABLE' ELSE '' END AS b,
                CASE WHEN c.relforcerowsecurity THEN 'FORCE' ELSE '' END AS c
         FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
           AND c.relkind = 'r' ORDER BY c.oid",
    )
    .await?;
    let constraints = strings(
        &txn,
        "SELECT conrelid::regclass::text AS a, conname::text AS b, pg_get_constraintdef(oid) AS c
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
           AND contype IN ('p', 'u', 'c', 'x', 'f')
         ORDER BY contype = 'f', oid",
    )
    .await?;
    let indexes = strings(
        &txn,
        "SELECT pg_get_indexdef(i.indexrelid) AS a, '' AS b, '' AS c
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE ic.relnamespace = current_schema()::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
         ORDER BY i.indexrelid",
    )
    .await?;
    let policies = strings(
        &txn,
        "SELECT format('CREATE POLICY %I ON %I AS %s FOR %s TO %s%s%s', policyname, tablename,
                       permissive, cmd, array_to_string(roles, ', '),
                       ' USING (' || qual || ')', ' WITH CHECK (' || with_check || ')') AS a,
                '' AS b, '' AS c
         FROM pg_policies WHERE schemaname = current_schema() ORDER BY tablename, policyname",
    )
    .await?;
    let triggers = strings(
        &txn,
        "SELECT pg_get_triggerdef(t.oid) AS a, '' AS b, '' AS c
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
         ORDER BY t.oid",
    )
    .await?;
    let mut ddl = vec![format!("SET LOCAL search_path = {t}")];
    for [table, rls, force] in &tables {
        let name = quote_ident(table);
        ddl.push(format!(
            "CREATE TABLE {name} (LIKE {tpl}.{name} INCLUDING DEFAULTS INCLUDING GENERATED \
             INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS)"
        ));
        for flag in [rls, force].into_iter().filter(|f| !f.is_empty()) {
            ddl.push(format!("ALTER TABLE {name} {flag} ROW LEVEL SECURITY"));
        }
    }
    for [table, name, definition] in &constraints {
        ddl.push(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
            quote_ident(name)
        ));
    }
    for [definition, _, _] in &indexes {
        // pg_get_indexdef qualifies the table; point it at the target.
        ddl.push(definition.replace(&format!(" ON {TEMPLATE_SCHEMA}."), " ON "));
    }
    ddl.extend(policies.into_iter().map(|[sql, _, _]| sql));
    for [definition, _, _] in &triggers {
        ddl.push(definition.replace(&format!(" ON {TEMPLATE_SCHEMA}."), " ON "));
    }
    ddl.push(format!(
        "INSERT INTO tenant_migrations SELECT * FROM {tpl}.tenant_migrations"
    ));
    for sql in ddl {
        txn.execute_unprepared(&sql).await?;
    }
    grant_schema(&txn, target, runtime_role).await?;
    txn.commit().await
}

/// Rows of three text columns `a`, `b`, `c`.
async fn strings<C: ConnectionTrait>(conn: &C, sql: &str) -> Result<Vec<[String; 3]>, DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?;
    rows.iter()
        .map(|r| {
            Ok([
                r.try_get("", "a")?,
                r.try_get("", "b")?,
                r.try_get("", "c")?,
            ])
        })
        .collect()
}

/// `CREATE DATABASE target TEMPLATE template` (a file-level copy of an
/// already-migrated database).
pub(super) async fn create_database_from_template(
    owner: &DatabaseConnection,
    target: &str,
    template: &str,
) -> Result<(), DbErr> {
    owner
        .execute_unprepared(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(target),
            quote_ident(template)
        ))
        .await
        .map(|_| ())
}

pub(super) async fn drop_schema(owner: &DatabaseConnection, schema: &str) -> Result<(), DbErr> {
    owner
        .execute_unprepared(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote_ident(schema)
        ))
        .await
        .map(|_| ())
}

/// Drops a tenant database, ending idle connections other server instances
/// still hold to it (the owner role needs `pg_signal_backend` for those; see
/// `scripts/pg-setup`). Callers make sure no transaction still uses it.
pub(super) async fn drop_database(owner: &DatabaseConnection, database: &str) -> Result<(), DbErr> {
    owner
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(database)
        ))
        .await
        .map(|_| ())
}

pub(super) async fn schema_exists(conn: &DatabaseConnection, schema: &str) -> Result<bool, DbErr> {
    Ok(conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS x FROM pg_namespace WHERE nspname = $1",
            [schema.into()],
        ))
        .await?
        .is_some())
}

pub(super) async fn database_exists(
    conn: &DatabaseConnection,
    database: &str,
) -> Result<bool, DbErr> {
    Ok(conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS x FROM pg_database WHERE datname = $1",
            [database.into()],
        ))
        .await?
        .is_some())
}
