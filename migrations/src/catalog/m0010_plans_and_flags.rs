use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_plans_and_flags"
    }
}

// Additive only: new tables, and a `plan` column on tenants with a default,
// so that servers still on the previous version keep working.
const TABLES: &[&str] = &[
    // What a tenant may do. `entitlements` is a JSON object of entitlement
    // key → value (validated against the registry in code); `quota_enforcement`
    // is `hard` (refuse at 100 %) or `soft` (notify, keep serving).
    "CREATE TABLE plans (
        key text NOT NULL PRIMARY KEY,
        name text NOT NULL,
        tier text NOT NULL,
        price_ref text NULL,
        placement_hint text NULL,
        quota_enforcement text NOT NULL,
        entitlements text NOT NULL
    )",
    // Every tenant is on a plan; existing tenants start on the seeded one,
    // which grants everything and limits nothing.
    r#"INSERT INTO plans (key, name, tier, price_ref, placement_hint, quota_enforcement, entitlements)
       VALUES ('standard', 'Standard', 'standard', NULL, NULL, 'soft',
               '{"sso":true,"custom_domains":true,"api_access":true}')"#,
    "ALTER TABLE tenants ADD COLUMN plan text NOT NULL DEFAULT 'standard'",
    // A superadmin's exception for one tenant, with a reason and an expiry.
    "CREATE TABLE entitlement_overrides (
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        key text NOT NULL,
        value text NOT NULL,
        reason text NOT NULL,
        expires_at timestamptz NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, key)
    )",
    // Durable quota counters, one row per tenant, quota and period
    // (`2026-11` for a month, `2026-11-26` for a day). `notified` is the
    // highest threshold (80, 100) already announced for the period.
    "CREATE TABLE quota_usage (
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        quota text NOT NULL,
        period text NOT NULL,
        used bigint NOT NULL,
        notified integer NOT NULL,
        PRIMARY KEY (tenant, quota, period)
    )",
    // Feature flags: `default_value` and `rules` are JSON.
    "CREATE TABLE flags (
        key text NOT NULL PRIMARY KEY,
        description text NOT NULL,
        kind text NOT NULL,
        default_value text NOT NULL,
        kill_switch boolean NOT NULL,
        rules text NOT NULL,
        updated_at timestamptz NOT NULL
    )",
    // Every change to a flag, before and after (JSON), for its history.
    "CREATE TABLE flag_changes (
        id uuid NOT NULL PRIMARY KEY,
        flag text NOT NULL,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        summary text NOT NULL,
        before text NULL,
        after text NULL
    )",
    "CREATE INDEX flag_changes_flag_idx ON flag_changes (flag, at)",
];

/// Plans and flags are held in memory by every server; a change notifies
/// `tenantry_policy` so they reload. An override changes one tenant, so it
/// notifies like the tenant itself (see m0003).
const NOTIFY: &[&str] = &[
    r#"CREATE FUNCTION tenantry_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        PERFORM pg_notify('tenantry_policy', TG_TABLE_NAME);
        RETURN NULL;
    END
    $fn$"#,
    "CREATE TRIGGER plans_changed AFTER INSERT OR UPDATE OR DELETE ON plans
     FOR EACH STATEMENT EXECUTE FUNCTION tenantry_policy_changed()",
    "CREATE TRIGGER flags_changed AFTER INSERT OR UPDATE OR DELETE ON flags
     FOR EACH STATEMENT EXECUTE FUNCTION tenantry_policy_changed()",
    "CREATE TRIGGER entitlement_overrides_changed AFTER INSERT OR UPDATE OR DELETE ON entitlement_overrides
     FOR EACH ROW EXECUTE FUNCTION tenantry_tenant_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await?;
        if sql::is_postgres(manager) {
            sql::run(manager, NOTIFY).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(
                manager,
                &["DROP FUNCTION tenantry_policy_changed() CASCADE"],
            )
            .await?;
        }
        sql::run(
            manager,
            &[
                "DROP TABLE flag_changes",
                "DROP TABLE flags",
                "DROP TABLE quota_usage",
                "DROP TABLE entitlement_overrides",
                "ALTER TABLE tenants DROP COLUMN plan",
                "DROP TABLE plans",
            ],
        )
        .await
    }
}
