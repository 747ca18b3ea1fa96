use crate::catalog::m0016_directory_wall::statements as wall;
use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0027_cost_ledger"
    }
}

/// What each tenant cost the platform (`tenancy::cost_ledger`): the
/// platform's own accounting about a tenant, behind the wall with the
/// platform scope beside it. Each instance adds what it counted, summed per
/// minute (`span` 'm', kept two days) and per hour (`span` 'h', kept the
/// retention the settings name), so an hour's chart reads 60 rows and a
/// month's 720. Latencies are counts per bucket (`lat_<ms>`: at most that
/// many milliseconds; `lat_slower`), so a p95 over any span is read from
/// their sums.
pub const LEDGER: &[&str] = &["tenant_costs"];

const TABLE: &str = "CREATE TABLE tenant_costs (
    tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    span text NOT NULL,
    start_at timestamptz NOT NULL,
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    request_cpu_us bigint NOT NULL,
    jobs bigint NOT NULL,
    job_cpu_us bigint NOT NULL,
    db_us bigint NOT NULL,
    db_statements bigint NOT NULL,
    db_rows bigint NOT NULL,
    egress_bytes bigint NOT NULL,
    storage_bytes bigint NOT NULL,
    lat_10 bigint NOT NULL,
    lat_25 bigint NOT NULL,
    lat_50 bigint NOT NULL,
    lat_100 bigint NOT NULL,
    lat_250 bigint NOT NULL,
    lat_500 bigint NOT NULL,
    lat_1000 bigint NOT NULL,
    lat_2500 bigint NOT NULL,
    lat_slower bigint NOT NULL,
    PRIMARY KEY (tenant, span, start_at)
)";

/// The noisiest tenants of a period: every tenant's rows since a time.
const BY_TIME: &str = "CREATE INDEX tenant_costs_span_start_idx ON tenant_costs (span, start_at)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[TABLE, BY_TIME]).await?;
        if sql::is_postgres(manager) {
            let statements = wall("tenant_costs");
            let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
            sql::run(manager, &refs).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE tenant_costs"]).await
    }
}
