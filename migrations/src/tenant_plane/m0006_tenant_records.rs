use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
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
/// to its plan, its quota counters, its billing account, credit and final
/// invoices; and the audit entries and events its transactions raise for
/// the platform's log. The catalog keeps directory entries only (verified
/// host names, Stripe customers).
pub const TABLES: &[&str] = &[
    "tenant_branding",
    "tenant_domains",
    "entitlement_overrides",
    "quota_usage",
    "billing_accounts",
    "credit_grants",
    "invoices",
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
    // Who pays for the tenant's use (`customer` = `tenant`: the platform
    // bills the tenant itself), its standing and its Stripe references.
    "CREATE TABLE billing_accounts (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        customer text NOT NULL,
        status text NOT NULL,
        past_due_since timestamptz NULL,
        status_at timestamptz NULL,
        suspended_for_billing boolean NOT NULL,
        stripe_customer_id text NULL,
        stripe_subscription_id text NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT billing_accounts_customer_key UNIQUE (tenant_id, customer)
    )",
    // Prepaid credit, consumed before anything is charged.
    "CREATE TABLE credit_grants (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        account uuid NOT NULL,
        amount bigint NOT NULL,
        remaining bigint NOT NULL,
        currency text NOT NULL,
        reason text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE INDEX credit_grants_account_idx ON credit_grants (tenant_id, account, created_at)",
    // Final invoices: integer minor units, `lines` JSON. Only the payment
    // columns may change after insert (the trigger below).
    "CREATE TABLE invoices (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        account uuid NOT NULL,
        number text NOT NULL,
        period text NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        currency text NOT NULL,
        subtotal bigint NOT NULL,
        credits_applied bigint NOT NULL,
        total bigint NOT NULL,
        lines text NOT NULL,
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        paid_at timestamptz NULL,
        paid_by text NULL,
        external_id text NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT invoices_number_key UNIQUE (tenant_id, number),
        CONSTRAINT invoices_period_key UNIQUE (tenant_id, account, period)
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

/// A final invoice's figures never change: the database refuses it,
/// whatever the code does. One function in `public` serves every unit of a
/// database (the pool, the template schema and its clones, which copy the
/// trigger: `tenancy::postgres::clone_template_schema`).
const POSTGRES_FROZEN: &[&str] = &[
    r#"CREATE OR REPLACE FUNCTION public.tenantry_plane_invoice_frozen() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        IF (NEW.tenant_id, NEW.account, NEW.number, NEW.period, NEW.period_start,
            NEW.period_end, NEW.currency, NEW.subtotal, NEW.credits_applied, NEW.total,
            NEW.lines, NEW.created_at)
           IS DISTINCT FROM
           (OLD.tenant_id, OLD.account, OLD.number, OLD.period, OLD.period_start,
            OLD.period_end, OLD.currency, OLD.subtotal, OLD.credits_applied, OLD.total,
            OLD.lines, OLD.created_at) THEN
            RAISE EXCEPTION 'tenantry: invoice % is final', OLD.number USING ERRCODE = 'TM002';
        END IF;
        RETURN NEW;
    END
    $fn$"#,
    "CREATE TRIGGER invoices_frozen BEFORE UPDATE ON invoices
        FOR EACH ROW EXECUTE FUNCTION public.tenantry_plane_invoice_frozen()",
];

const SQLITE_FROZEN: &[&str] = &["CREATE TRIGGER invoices_frozen
    BEFORE UPDATE OF tenant_id, account, number, period, period_start, period_end, currency,
        subtotal, credits_applied, total, lines, created_at ON invoices
    BEGIN SELECT RAISE(ABORT, 'tenantry: invoice is final'); END"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        if !sql::is_postgres(manager) {
            return sql::run(manager, SQLITE_FROZEN).await;
        }
        sql::run(manager, POSTGRES_FROZEN).await?;
        wall_tables(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            sql::run(manager, &[&format!("DROP TABLE {table}")]).await?;
        }
        Ok(())
    }
}
