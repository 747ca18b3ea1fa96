use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_control_plane"
    }
}

// Column types are written so that both Postgres and SQLite accept them; SQLite
// stores uuids as 16-byte blobs and timestamps as text, which SeaORM decodes.
const TABLES: &[&str] = &[
    "CREATE TABLE tenants (
        id uuid NOT NULL PRIMARY KEY,
        slug text NOT NULL,
        name text NOT NULL,
        state text NOT NULL,
        placement text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        suspended_at timestamptz NULL,
        deleted_at timestamptz NULL,
        CONSTRAINT tenants_slug_key UNIQUE (slug)
    )",
    "CREATE INDEX tenants_state_idx ON tenants (state)",
    "CREATE TABLE tenant_branding (
        tenant uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        display_name text NOT NULL,
        primary_color text NOT NULL,
        accent_color text NOT NULL,
        logo_url text NULL,
        login_text text NULL,
        updated_at timestamptz NOT NULL
    )",
    "CREATE TABLE platform_admins (
        id uuid NOT NULL PRIMARY KEY,
        email text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT platform_admins_email_key UNIQUE (email)
    )",
    "CREATE TABLE platform_audit (
        id uuid NOT NULL PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        tenant uuid NULL,
        detail text NOT NULL
    )",
    "CREATE INDEX platform_audit_at_idx ON platform_audit (at)",
    "CREATE TABLE sessions (
        id text NOT NULL PRIMARY KEY,
        data text NOT NULL,
        expires_at timestamptz NOT NULL
    )",
    "CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE sessions",
                "DROP TABLE platform_audit",
                "DROP TABLE platform_admins",
                "DROP TABLE tenant_branding",
                "DROP TABLE tenants",
            ],
        )
        .await
    }
}
