use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_webhooks"
    }
}

/// The tenant's own webhook endpoints (their signing secrets with them) and
/// their delivery log. They were catalog rows until catalog m0015, which
/// hands existing rows to the fleet migration to copy in; the platform's own
/// endpoints stay in the catalog.
pub const TABLES: &[&str] = &["webhook_endpoints", "webhook_deliveries"];

const DDL: &[&str] = &[
    // `events`: comma-separated kinds, or `*`. The previous secret keeps
    // signing until it expires, so receivers can switch without a gap.
    "CREATE TABLE webhook_endpoints (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        url text NOT NULL,
        description text NOT NULL,
        events text NOT NULL,
        secret text NOT NULL,
        previous_secret text NULL,
        previous_secret_expires_at timestamptz NULL,
        enabled boolean NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    // One event's delivery to one endpoint. The event is copied in (kind,
    // slug, time, data: what the tenant's endpoint receives), because the
    // event itself is a catalog row a tenant plane cannot reference. No
    // foreign key to the endpoint: removing an endpoint deletes its
    // deliveries in the same transaction, and a log row never blocks a
    // placement move or the fleet migration's copy.
    "CREATE TABLE webhook_deliveries (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        endpoint_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_kind text NOT NULL,
        event_slug text NOT NULL,
        event_occurred_at timestamptz NOT NULL,
        event_data text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        last_status integer NULL,
        last_error text NULL,
        last_response text NULL,
        last_attempt_at timestamptz NULL,
        delivered_at timestamptz NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT webhook_deliveries_event_key UNIQUE (tenant_id, endpoint_id, event_id)
    )",
    "CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (tenant_id, status, next_attempt_at)",
    "CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (tenant_id, endpoint_id, created_at)",
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
