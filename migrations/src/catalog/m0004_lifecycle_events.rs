use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_lifecycle_events"
    }
}

// Additive only: new tables.
const TABLES: &[&str] = &[
    // The outbox: one row per tenant lifecycle change, written in the same
    // transaction as the change. Ids are UUIDv7, so ordering by id is ordering
    // by time. No foreign key to `tenants`: the events of a purged tenant
    // (including `tenant.purged` itself) outlive it.
    "CREATE TABLE lifecycle_events (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL,
        slug text NOT NULL,
        kind text NOT NULL,
        actor text NOT NULL,
        data text NOT NULL,
        occurred_at timestamptz NOT NULL,
        dispatched_at timestamptz NULL,
        dispatch_attempts integer NOT NULL DEFAULT 0,
        dispatch_after timestamptz NULL,
        dispatch_error text NULL
    )",
    "CREATE INDEX lifecycle_events_undispatched_idx ON lifecycle_events (id) WHERE dispatched_at IS NULL",
    "CREATE INDEX lifecycle_events_tenant_idx ON lifecycle_events (tenant, id)",
    // Outgoing webhook endpoints: `tenant` NULL for the platform's own (every
    // tenant's events), else one tenant's (its events only). Secrets are
    // needed in clear to sign; the previous one stays valid until it expires.
    "CREATE TABLE webhook_endpoints (
        id uuid NOT NULL PRIMARY KEY,
        tenant uuid NULL REFERENCES tenants (id) ON DELETE CASCADE,
        url text NOT NULL,
        description text NOT NULL,
        events text NOT NULL,
        secret text NOT NULL,
        previous_secret text NULL,
        previous_secret_expires_at timestamptz NULL,
        enabled boolean NOT NULL,
        created_at timestamptz NOT NULL
    )",
    "CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant)",
    // One delivery per (endpoint, event), with its retry state and last answer.
    "CREATE TABLE webhook_deliveries (
        id uuid NOT NULL PRIMARY KEY,
        endpoint uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        event uuid NOT NULL REFERENCES lifecycle_events (id) ON DELETE CASCADE,
        tenant uuid NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        last_status integer NULL,
        last_error text NULL,
        last_response text NULL,
        last_attempt_at timestamptz NULL,
        delivered_at timestamptz NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (endpoint, event)
    )",
    "CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (event) WHERE status = 'pending'",
    "CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint, created_at)",
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
                "DROP TABLE webhook_deliveries",
                "DROP TABLE webhook_endpoints",
                "DROP TABLE lifecycle_events",
            ],
        )
        .await
    }
}
