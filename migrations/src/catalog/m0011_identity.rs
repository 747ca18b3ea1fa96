use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_identity"
    }
}

// Additive only. Credentials that name their tenant live in the catalog, so
// that the gateway can find the tenant from the credential itself.
const TABLES: &[&str] = &[
    // API keys: only a SHA-256 of the secret is kept; `prefix` is the visible,
    // unique part that finds the row (`tnt_<prefix>_<secret>`).
    // `requests_per_second` is the key's own rate limit (NULL: only the
    // tenant's).
    "CREATE TABLE api_keys (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
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
        CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
    )",
    "CREATE INDEX api_keys_tenant_idx ON api_keys (tenant, created_at)",
    // Outgoing mail, queued durably: `state` is queued, sent, failed or
    // mailbox (kept for the dev mailbox when no SMTP server is configured).
    "CREATE TABLE mail_outbox (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NULL REFERENCES tenants (id) ON DELETE CASCADE,
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
        sent_at timestamptz NULL
    )",
    "CREATE INDEX mail_outbox_due_idx ON mail_outbox (state, next_attempt_at)",
    // Invitations and password resets: single-use links whose token is kept
    // only as a SHA-256.
    "CREATE TABLE invitations (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        email text NOT NULL,
        role text NOT NULL,
        token_hash text NOT NULL,
        invited_by text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz NULL,
        revoked_at timestamptz NULL,
        CONSTRAINT invitations_token_key UNIQUE (token_hash)
    )",
    "CREATE INDEX invitations_tenant_idx ON invitations (tenant, created_at)",
    "CREATE TABLE password_resets (
        token_hash text NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL
    )",
    // Email verification links, and the proof once used: a member's address
    // is verified while a used row names the same address.
    "CREATE TABLE email_verifications (
        token_hash text NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        email text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL
    )",
    "CREATE INDEX email_verifications_user_idx ON email_verifications (tenant, user_id)",
    // A tenant's OpenID Connect provider. The endpoints are what discovery
    // answered when the configuration was saved; the client secret is sealed
    // with `secret_key`. `allowed_domains` is a comma-separated list.
    "CREATE TABLE sso_configs (
        tenant uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
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
    // A superadmin acting as a tenant user: why, until when, and the
    // single-use handoff from the console to the tenant's host.
    "CREATE TABLE impersonations (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        user_email text NOT NULL,
        admin_email text NOT NULL,
        reason text NOT NULL,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        started_at timestamptz NULL,
        ended_at timestamptz NULL,
        CONSTRAINT impersonations_token_key UNIQUE (token_hash)
    )",
    // Owners who refuse support access to their account.
    "CREATE TABLE support_access_refusals (
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, user_id)
    )",
    // Who a session belongs to, so that a password reset can end them all.
    "ALTER TABLE sessions ADD COLUMN scope text NULL",
    "ALTER TABLE sessions ADD COLUMN subject uuid NULL",
    "CREATE INDEX sessions_subject_idx ON sessions (subject)",
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
                "DROP INDEX sessions_subject_idx",
                "ALTER TABLE sessions DROP COLUMN subject",
                "ALTER TABLE sessions DROP COLUMN scope",
                "DROP TABLE support_access_refusals",
                "DROP TABLE impersonations",
                "DROP TABLE sso_configs",
                "DROP TABLE email_verifications",
                "DROP TABLE password_resets",
                "DROP TABLE invitations",
                "DROP TABLE mail_outbox",
                "DROP TABLE api_keys",
            ],
        )
        .await
    }
}
