use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_identity_and_mail"
    }
}

/// The tenant's credentials, links, support sessions, outgoing mail, audit
/// log and data exports: rows that belong to one tenant, so they live behind
/// its wall (they were catalog rows until catalog m0014, which hands existing
/// rows to the fleet migration to copy in). Only digests of secrets are kept; the SSO
/// client secret stays sealed.
pub const TABLES: &[&str] = &[
    "api_keys",
    "invitations",
    "password_resets",
    "email_verifications",
    "sso_configs",
    "impersonations",
    "support_access_refusals",
    "mail_outbox",
    "audit_log",
    "tenant_exports",
];

const DDL: &[&str] = &[
    "CREATE TABLE api_keys (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        name text NOT NULL,
        prefix text NOT NULL,
        secret_hash text NOT NULL,
        role text NOT NULL,
        requests_per_second integer NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NULL,
        last_used_at timestamptz NULL,
        revoked_at timestamptz NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT api_keys_prefix_key UNIQUE (tenant_id, prefix)
    )",
    "CREATE INDEX api_keys_created_idx ON api_keys (tenant_id, created_at)",
    "CREATE TABLE invitations (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        email text NOT NULL,
        role text NOT NULL,
        token_hash text NOT NULL,
        invited_by text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz NULL,
        revoked_at timestamptz NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT invitations_token_key UNIQUE (tenant_id, token_hash)
    )",
    "CREATE INDEX invitations_created_idx ON invitations (tenant_id, created_at)",
    "CREATE TABLE password_resets (
        tenant_id uuid NOT NULL,
        token_hash text NOT NULL,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL,
        PRIMARY KEY (tenant_id, token_hash)
    )",
    "CREATE TABLE email_verifications (
        tenant_id uuid NOT NULL,
        token_hash text NOT NULL,
        user_id uuid NOT NULL,
        email text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL,
        PRIMARY KEY (tenant_id, token_hash)
    )",
    "CREATE INDEX email_verifications_user_idx ON email_verifications (tenant_id, user_id)",
    "CREATE TABLE sso_configs (
        tenant_id uuid NOT NULL PRIMARY KEY,
        issuer text NOT NULL,
        client_id text NOT NULL,
        client_secret_sealed text NULL,
        authorization_endpoint text NOT NULL,
        token_endpoint text NOT NULL,
        jwks_uri text NOT NULL,
        allowed_domains text NOT NULL,
        jit_provisioning boolean NOT NULL,
        default_role text NOT NULL,
        enforce_sso boolean NOT NULL,
        break_glass_email text NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL
    )",
    "CREATE TABLE impersonations (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        user_id uuid NOT NULL,
        user_email text NOT NULL,
        admin_email text NOT NULL,
        reason text NOT NULL,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        started_at timestamptz NULL,
        ended_at timestamptz NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT impersonations_token_key UNIQUE (tenant_id, token_hash)
    )",
    "CREATE TABLE support_access_refusals (
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, user_id)
    )",
    // `state` is queued, sent, failed or mailbox (kept for the dev mailbox
    // when no SMTP server is configured).
    "CREATE TABLE mail_outbox (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        to_address text NOT NULL,
        from_name text NOT NULL,
        subject text NOT NULL,
        text_body text NOT NULL,
        html_body text NOT NULL,
        state text NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        last_error text NULL,
        created_at timestamptz NOT NULL,
        sent_at timestamptz NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE INDEX mail_outbox_due_idx ON mail_outbox (tenant_id, state, next_attempt_at)",
    // What happened to the tenant's people and credentials, and every support
    // session: what its admins read on /admin/audit. Append-only.
    "CREATE TABLE audit_log (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        detail text NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE INDEX audit_log_at_idx ON audit_log (tenant_id, at)",
    // Data exports the tenant's admins asked for. `state` is queued, running,
    // done, failed or expired; the archive itself is a file named by `id`.
    "CREATE TABLE tenant_exports (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        state text NOT NULL,
        requested_by text NOT NULL,
        rows_total bigint NOT NULL,
        rows_done bigint NOT NULL,
        size_bytes bigint NULL,
        sha256 text NULL,
        error text NULL,
        created_at timestamptz NOT NULL,
        finished_at timestamptz NULL,
        expires_at timestamptz NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE INDEX tenant_exports_created_idx ON tenant_exports (tenant_id, created_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        wall_tables(manager, TABLES).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            sql::run(manager, &[&format!("DROP TABLE {table}")]).await?;
        }
        Ok(())
    }
}
