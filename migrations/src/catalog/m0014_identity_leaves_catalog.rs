use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_identity_leaves_catalog"
    }
}

/// Catalog tables whose rows belong to one tenant and now live in the tenant
/// plane (tenant plane m0004). This migration only sets their rows aside —
/// in the `tenantry_legacy` schema on PostgreSQL, as `legacy_<table>` on
/// SQLite — and the fleet migration copies each tenant's rows into its own
/// placement, then drops them (`tenancy::fleet::legacy`).
pub const MOVED: &[&str] = &[
    "api_keys",
    "invitations",
    "password_resets",
    "email_verifications",
    "sso_configs",
    "impersonations",
    "support_access_refusals",
    "mail_outbox",
    "tenant_exports",
];

/// Where legacy rows wait on PostgreSQL.
pub const LEGACY_SCHEMA: &str = "tenantry_legacy";

/// The directory entries that let a request find its tenant without reading
/// another tenant's rows. Neither holds a secret.
const DIRECTORY: &[&str] = &[
    // The visible prefix of an API key names its tenant; the key itself is
    // then checked inside that tenant.
    "CREATE TABLE api_key_prefixes (
        prefix text NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL
    )",
    // Tenants with background work waiting in one of their queues (`mail`:
    // messages to send; `exports`: archives to expire), and from when: the
    // worker of a queue visits only these. `noted_at`: when work was last
    // noted.
    "CREATE TABLE work_due (
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        queue text NOT NULL,
        due_at timestamptz NOT NULL,
        noted_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, queue)
    )",
    "CREATE INDEX work_due_at_idx ON work_due (queue, due_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DIRECTORY).await?;
        let postgres = sql::is_postgres(manager);
        let legacy = |table: &str| match postgres {
            true => format!("{LEGACY_SCHEMA}.{table}"),
            false => format!("legacy_{table}"),
        };
        if postgres {
            sql::run(manager, &[&format!("CREATE SCHEMA {LEGACY_SCHEMA}")]).await?;
        }
        for table in MOVED {
            let set_aside = match postgres {
                true => format!("ALTER TABLE {table} SET SCHEMA {LEGACY_SCHEMA}"),
                false => format!("ALTER TABLE {table} RENAME TO legacy_{table}"),
            };
            sql::run(manager, &[&set_aside]).await?;
        }
        let directory = [
            format!(
                "INSERT INTO api_key_prefixes (prefix, tenant, created_at)
                 SELECT prefix, tenant, created_at FROM {}",
                legacy("api_keys")
            ),
            format!(
                "INSERT INTO work_due (tenant, queue, due_at, noted_at)
                 SELECT tenant, 'mail', min(next_attempt_at), min(next_attempt_at) FROM {}
                 WHERE state = 'queued' AND tenant IS NOT NULL GROUP BY tenant",
                legacy("mail_outbox")
            ),
            format!(
                "INSERT INTO work_due (tenant, queue, due_at, noted_at)
                 SELECT tenant, 'exports', min(expires_at), min(expires_at) FROM {}
                 WHERE state = 'done' AND expires_at IS NOT NULL GROUP BY tenant",
                legacy("tenant_exports")
            ),
            // Tenants whose rows are copied already: the fleet migration
            // resumes after the last one.
            format!(
                "CREATE TABLE {} (tenant uuid NOT NULL PRIMARY KEY)",
                legacy("copied")
            ),
        ];
        let refs: Vec<&str> = directory.iter().map(String::as_str).collect();
        sql::run(manager, &refs).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0014 moves tenant rows into the tenant plane; it is not reversible".into(),
        ))
    }
}
