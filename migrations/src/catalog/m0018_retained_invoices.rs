use super::m0016_directory_wall::statements;
use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_retained_invoices"
    }
}

/// Final invoices of purged tenants, kept for financial retention
/// (`invoice_retention_days`): the one deliberate exception to "a purge
/// leaves nothing". A copy of each invoice, made by the purge before the
/// tenant's rows go, with no key to the tenant row (which is gone) and a
/// date after which the retention pass removes it. Behind the wall with the
/// platform scope: only the platform reads it.
pub const RETAINED: &[&str] = &["retained_invoices"];

const TABLE: &str = "CREATE TABLE retained_invoices (
    id uuid NOT NULL PRIMARY KEY,
    tenant uuid NOT NULL,
    slug text NOT NULL,
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
    retained_at timestamptz NOT NULL,
    retain_until timestamptz NOT NULL
)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                TABLE,
                "CREATE INDEX retained_invoices_tenant_idx ON retained_invoices (tenant, period_start)",
                "CREATE INDEX retained_invoices_until_idx ON retained_invoices (retain_until)",
            ],
        )
        .await?;
        if sql::is_postgres(manager) {
            for table in RETAINED {
                let statements = statements(table);
                let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
                sql::run(manager, &refs).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE retained_invoices"]).await
    }
}
