use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_jobs"
    }
}

/// The tenant's background jobs (`crate::jobs` in the platform): each row
/// is one piece of work of this tenant, run inside this tenant only.
/// `state` is queued, running, done, dead (out of attempts) or cancelled; a
/// running job holds a lease until `lease_until`, and one whose lease ran
/// out (its runner died) is taken again. An idempotency key names the
/// effect a job has, so that enqueuing it twice makes one job.
pub const TABLES: &[&str] = &["jobs"];

const DDL: &[&str] = &[
    "CREATE TABLE jobs (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        kind text NOT NULL,
        payload text NOT NULL,
        state text NOT NULL,
        priority integer NOT NULL,
        run_at timestamptz NOT NULL,
        attempts integer NOT NULL,
        max_attempts integer NOT NULL,
        lease_until timestamptz NULL,
        leased_by text NULL,
        idempotency_key text NULL,
        last_error text NULL,
        created_at timestamptz NOT NULL,
        finished_at timestamptz NULL,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT jobs_idempotency_key UNIQUE (tenant_id, idempotency_key)
    )",
    "CREATE INDEX jobs_due_idx ON jobs (tenant_id, state, run_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        wall_tables(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE jobs"]).await
    }
}
