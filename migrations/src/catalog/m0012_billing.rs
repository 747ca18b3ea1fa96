use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_billing"
    }
}

// Additive only. Usage events themselves are tenant-plane rows (m0003 of the
// tenant plane); everything here is the platform's own bookkeeping.
const TABLES: &[&str] = &[
    // What usage is counted and how: `aggregation` is count, sum, max or
    // unique_count (over `property`); `filters` is a JSON object of property
    // → required value.
    "CREATE TABLE meters (
        key text NOT NULL PRIMARY KEY,
        name text NOT NULL,
        unit text NOT NULL,
        aggregation text NOT NULL,
        property text NULL,
        filters text NOT NULL,
        created_at timestamptz NOT NULL
    )",
    // The platform's own usage: recorded by the platform into every tenant's
    // events, through the same pipeline as a customer's.
    "INSERT INTO meters (key, name, unit, aggregation, property, filters, created_at) VALUES
        ('seats', 'Seats', 'members', 'max', NULL, '{}', CURRENT_TIMESTAMP),
        ('api_calls', 'API calls', 'calls', 'sum', NULL, '{}', CURRENT_TIMESTAMP),
        ('storage_bytes', 'Storage', 'bytes', 'max', NULL, '{}', CURRENT_TIMESTAMP)",
    // A plan's prices: a JSON array, validated in code (one currency per plan).
    "ALTER TABLE plans ADD COLUMN prices text NOT NULL DEFAULT '[]'",
    // Which plan a tenant was on since when: the rating engine prorates a
    // period across these.
    "CREATE TABLE plan_assignments (
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        since timestamptz NOT NULL,
        plan text NOT NULL,
        PRIMARY KEY (tenant, since)
    )",
    // Who pays whom. Today the platform bills each tenant (`customer` =
    // 'tenant'); a tenant billing its own end-users would add accounts with
    // another customer under the same tenant.
    "CREATE TABLE billing_accounts (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        customer text NOT NULL,
        status text NOT NULL,
        past_due_since timestamptz NULL,
        status_at timestamptz NULL,
        suspended_for_billing boolean NOT NULL,
        stripe_customer_id text NULL,
        stripe_subscription_id text NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT billing_accounts_customer_key UNIQUE (tenant, customer)
    )",
    // Prepaid credit, consumed before anything is charged.
    "CREATE TABLE credit_grants (
        id uuid NOT NULL PRIMARY KEY,
        account uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
        amount bigint NOT NULL,
        remaining bigint NOT NULL,
        currency text NOT NULL,
        reason text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL
    )",
    "CREATE INDEX credit_grants_account_idx ON credit_grants (account, created_at)",
    // Final invoices. Amounts are integer minor units; `lines` is JSON. Only
    // the payment columns may change after insert (triggers below).
    "CREATE TABLE invoices (
        id uuid NOT NULL PRIMARY KEY,
        account uuid NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
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
        CONSTRAINT invoices_number_key UNIQUE (number),
        CONSTRAINT invoices_period_key UNIQUE (account, period)
    )",
    "CREATE INDEX invoices_tenant_idx ON invoices (tenant, period_start)",
    // Every payment-provider event applied, by its id: written in the same
    // transaction as its effect, so a redelivery finds it and does nothing.
    "CREATE TABLE stripe_events (
        id text NOT NULL PRIMARY KEY,
        kind text NOT NULL,
        created_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        account uuid NULL
    )",
];

/// A final invoice's figures never change: the database refuses it, whatever
/// the code does.
const POSTGRES_IMMUTABLE: &[&str] = &[
    r#"CREATE FUNCTION tenantry_invoice_frozen() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        IF (NEW.account, NEW.tenant, NEW.number, NEW.period, NEW.period_start, NEW.period_end,
            NEW.currency, NEW.subtotal, NEW.credits_applied, NEW.total, NEW.lines, NEW.created_at)
           IS DISTINCT FROM
           (OLD.account, OLD.tenant, OLD.number, OLD.period, OLD.period_start, OLD.period_end,
            OLD.currency, OLD.subtotal, OLD.credits_applied, OLD.total, OLD.lines, OLD.created_at) THEN
            RAISE EXCEPTION 'tenantry: invoice % is final', OLD.number USING ERRCODE = 'TM002';
        END IF;
        RETURN NEW;
    END
    $fn$"#,
    "CREATE TRIGGER invoices_frozen BEFORE UPDATE ON invoices
        FOR EACH ROW EXECUTE FUNCTION tenantry_invoice_frozen()",
    // Meters are part of the in-memory policy snapshot, like plans (m0010).
    "CREATE TRIGGER meters_changed AFTER INSERT OR UPDATE OR DELETE ON meters
     FOR EACH STATEMENT EXECUTE FUNCTION tenantry_policy_changed()",
];

const SQLITE_IMMUTABLE: &[&str] = &["CREATE TRIGGER invoices_frozen
    BEFORE UPDATE OF account, tenant, number, period, period_start, period_end, currency,
        subtotal, credits_applied, total, lines, created_at ON invoices
    BEGIN SELECT RAISE(ABORT, 'tenantry: invoice is final'); END"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await?;
        if sql::is_postgres(manager) {
            sql::run(manager, POSTGRES_IMMUTABLE).await
        } else {
            sql::run(manager, SQLITE_IMMUTABLE).await
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(
                manager,
                &[
                    "DROP TRIGGER meters_changed ON meters",
                    "DROP TRIGGER invoices_frozen ON invoices",
                    "DROP FUNCTION tenantry_invoice_frozen()",
                ],
            )
            .await?;
        }
        sql::run(
            manager,
            &[
                "DROP TABLE stripe_events",
                "DROP TABLE invoices",
                "DROP TABLE credit_grants",
                "DROP TABLE billing_accounts",
                "DROP TABLE plan_assignments",
                "ALTER TABLE plans DROP COLUMN prices",
                "DROP TABLE meters",
            ],
        )
        .await
    }
}
