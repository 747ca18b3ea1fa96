use crate::catalog::m0014_identity_leaves_catalog::LEGACY_SCHEMA;
use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_webhooks_leave_catalog"
    }
}

/// Tenants' webhook endpoints and their deliveries now live in the tenant
/// plane (tenant plane m0005). This migration keeps the platform's own
/// endpoints in `platform_webhook_endpoints` (with their deliveries), sets
/// the tenants' rows aside in the shape of the tenant-plane tables (each
/// delivery with a copy of its event), and the fleet migration copies each
/// tenant's rows into its placement (`tenancy::legacy`).
pub const MOVED: &[&str] = &["webhook_endpoints", "webhook_deliveries"];

const PLATFORM: &[&str] = &[
    "CREATE TABLE platform_webhook_endpoints (
        id uuid NOT NULL PRIMARY KEY,
        url text NOT NULL,
        description text NOT NULL,
        events text NOT NULL,
        secret text NOT NULL,
        previous_secret text NULL,
        previous_secret_expires_at timestamptz NULL,
        enabled boolean NOT NULL,
        created_at timestamptz NOT NULL
    )",
    "INSERT INTO platform_webhook_endpoints (id, url, description, events, secret,
         previous_secret, previous_secret_expires_at, enabled, created_at)
     SELECT id, url, description, events, secret, previous_secret,
         previous_secret_expires_at, enabled, created_at
     FROM webhook_endpoints WHERE tenant IS NULL",
    // `tenant`: whose event it is (deliveries go out in order per endpoint
    // and tenant). The platform's record, as the events are.
    "CREATE TABLE platform_webhook_deliveries (
        id uuid NOT NULL PRIMARY KEY,
        endpoint uuid NOT NULL REFERENCES platform_webhook_endpoints (id) ON DELETE CASCADE,
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
    "INSERT INTO platform_webhook_deliveries
     SELECT id, endpoint, event, tenant, status, attempts, next_attempt_at, last_status,
         last_error, last_response, last_attempt_at, delivered_at, created_at
     FROM webhook_deliveries WHERE endpoint IN (SELECT id FROM platform_webhook_endpoints)",
    "CREATE INDEX platform_webhook_deliveries_pending_idx ON platform_webhook_deliveries (event)
     WHERE status = 'pending'",
    "CREATE INDEX platform_webhook_deliveries_endpoint_idx ON platform_webhook_deliveries (endpoint, created_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, PLATFORM).await?;
        let postgres = sql::is_postgres(manager);
        let legacy = |table: &str| match postgres {
            true => format!("{LEGACY_SCHEMA}.{table}"),
            false => format!("legacy_{table}"),
        };
        if postgres {
            sql::run(
                manager,
                &[&format!("CREATE SCHEMA IF NOT EXISTS {LEGACY_SCHEMA}")],
            )
            .await?;
        }
        let set_aside = [
            format!(
                "CREATE TABLE {} AS
                 SELECT tenant, id, url, description, events, secret, previous_secret,
                     previous_secret_expires_at, enabled, created_at
                 FROM webhook_endpoints WHERE tenant IS NOT NULL",
                legacy("webhook_endpoints")
            ),
            format!(
                "CREATE TABLE {} AS
                 SELECT w.tenant AS tenant, d.id AS id, d.endpoint AS endpoint_id,
                     d.event AS event_id, e.kind AS event_kind, e.slug AS event_slug,
                     e.occurred_at AS event_occurred_at, e.data AS event_data,
                     d.status AS status, d.attempts AS attempts,
                     d.next_attempt_at AS next_attempt_at, d.last_status AS last_status,
                     d.last_error AS last_error, d.last_response AS last_response,
                     d.last_attempt_at AS last_attempt_at, d.delivered_at AS delivered_at,
                     d.created_at AS created_at
                 FROM webhook_deliveries d
                 JOIN webhook_endpoints w ON w.id = d.endpoint
                 JOIN lifecycle_events e ON e.id = d.event
                 WHERE w.tenant IS NOT NULL",
                legacy("webhook_deliveries")
            ),
            // Shared with m0014's batch when both wait for the same run.
            format!(
                "CREATE TABLE IF NOT EXISTS {} (tenant uuid NOT NULL PRIMARY KEY)",
                legacy("copied")
            ),
            format!(
                "INSERT INTO work_due (tenant, queue, due_at, noted_at)
                 SELECT tenant, 'webhooks', min(next_attempt_at), min(next_attempt_at) FROM {}
                 WHERE status = 'pending' GROUP BY tenant",
                legacy("webhook_deliveries")
            ),
            "DROP TABLE webhook_deliveries".to_owned(),
            "DROP TABLE webhook_endpoints".to_owned(),
        ];
        let refs: Vec<&str> = set_aside.iter().map(String::as_str).collect();
        sql::run(manager, &refs).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0015 moves tenants' webhooks into the tenant plane; it is not reversible".into(),
        ))
    }
}
