use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_identity_and_projects"
    }
}

const TABLES: &[&str] = &[
    "CREATE TABLE users (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        email text NOT NULL,
        display_name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT users_email_key UNIQUE (tenant_id, email)
    )",
    "CREATE TABLE memberships (
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, user_id),
        FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
    )",
    "CREATE TABLE projects (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE INDEX projects_created_idx ON projects (tenant_id, created_at)",
    "CREATE TABLE tasks (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        project_id uuid NOT NULL,
        title text NOT NULL,
        done boolean NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
    )",
    "CREATE INDEX tasks_project_idx ON tasks (tenant_id, project_id, created_at)",
];

/// The row-level-security wall for one table: ENABLE + FORCE (so the owner is
/// subject to it too), one policy with USING and WITH CHECK. The setting is read
/// with `missing_ok` and an empty value maps to NULL, so a connection with no
/// tenant bound sees no rows and cannot write any.
pub(crate) fn rls_statements(table: &str) -> [String; 3] {
    wall_statements(table, "tenant_id")
}

/// Puts each of `tables` behind the wall, on Postgres (SQLite has one
/// tenant per file: the file is the wall).
pub(crate) async fn wall_tables(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    if !sql::is_postgres(manager) {
        return Ok(());
    }
    for table in tables {
        let statements = rls_statements(table);
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        sql::run(manager, &refs).await?;
    }
    Ok(())
}

/// The wall on `table`, keyed by `column`: row-level security enabled and
/// forced, and one policy for every command, reading and writing alike.
pub(crate) fn wall_statements(table: &str, column: &str) -> [String; 3] {
    let tenant = "NULLIF(current_setting('app.tenant_id', true), '')::uuid";
    [
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
        format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"),
        format!(
            "CREATE POLICY tenant_isolation ON {table} FOR ALL \
             USING ({column} = {tenant}) WITH CHECK ({column} = {tenant})"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await?;
        wall_tables(manager, &["users", "memberships", "projects", "tasks"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE tasks",
                "DROP TABLE projects",
                "DROP TABLE memberships",
                "DROP TABLE users",
            ],
        )
        .await
    }
}
