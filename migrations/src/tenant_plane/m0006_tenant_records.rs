use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::rls_statements;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_tenant_records"
    }
}

/// The tenant's records that were catalog rows until catalog m0019 (which
/// hands existing rows to the fleet migration): what its admins manage of
/// its face to the world (its brand, its custom domains), the exceptions
/// to its plan and its quota counters; and the audit entries and events its
/// transactions raise for the platform's log. The catalog keeps only the
/// verified host → tenant map.
pub const TABLES: &[&str] = &[
    "tenant_branding",
    "tenant_domains",
    "entitlement_overrides",
    "quota_usage",
    "platform_outbox",
];

const DDL: &[&str] = &[
    // One row per tenant; none yet means the defaults (the tenant's name
    // and the platform's colours).
    "CREATE TABLE tenant_branding (
        tenant_id uuid NOT NULL PRIMARY KEY,
        display_name text NOT NULL,
        primary_color text NOT NULL,
        accent_color text NOT NULL,
        logo_url text NULL,
        login_text text NULL,
        updated_at timestamptz NOT NULL,
        product_name text NULL,
        support_email text NULL,
        primary_color_dark text NULL,
        accent_color_dark text NULL,
        favicon_url text NULL
    )",
    // A claim on a host name, proven by a DNS TXT record holding `token`.
    // Several tenants may claim the same name (nobody can squat it by
    // claiming first); only one holds it verified, which the catalog's
    // `verified_hosts` decides. `state`: pending, verified or lapsed.
    "CREATE TABLE tenant_domains (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        hostname text NOT NULL,
        state text NOT NULL,
        token text NOT NULL,
        is_primary boolean NOT NULL,
        failures integer NOT NULL,
        last_error text NULL,
        checked_at timestamptz NULL,
        next_check_at timestamptz NOT NULL,
        verified_at timestamptz NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT tenant_domains_hostname_key UNIQUE (tenant_id, hostname)
    )",
    "CREATE INDEX tenant_domains_due_idx ON tenant_domains (tenant_id, next_check_at)",
    // A superadmin's exception to the tenant's plan for one entitlement
    // (`value`: JSON of the entitlement's kind), loaded with its record.
    "CREATE TABLE entitlement_overrides (
        tenant_id uuid NOT NULL,
        key text NOT NULL,
        value text NOT NULL,
        reason text NOT NULL,
        expires_at timestamptz NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, key)
    )",
    // Durable quota counters per quota and period (`2026-11`, `2026-11-26`);
    // `notified`: the highest threshold (80, 100) announced this period.
    "CREATE TABLE quota_usage (
        tenant_id uuid NOT NULL,
        quota text NOT NULL,
        period text NOT NULL,
        used bigint NOT NULL,
        notified integer NOT NULL,
        PRIMARY KEY (tenant_id, quota, period)
    )",
    // A platform audit entry (with the lifecycle event of the same act, if
    // it has one; `kind` empty otherwise) raised by a change in this plane,
    // written in the change's own transaction and relayed into the catalog
    // after it commits (`events::relay`): the entry exists exactly when the
    // change does, whatever the placement.
    "CREATE TABLE platform_outbox (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        kind text NOT NULL,
        actor text NOT NULL,
        data text NOT NULL,
        audit_action text NOT NULL,
        audit_detail text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        if sql::is_postgres(manager) {
            for table in TABLES {
                let statements = rls_statements(table);
                let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
                sql::run(manager, &refs).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            sql::run(manager, &[&format!("DROP TABLE {table}")]).await?;
        }
        Ok(())
    }
}
