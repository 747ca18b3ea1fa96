use crate::catalog::m0016_directory_wall::statements as wall;
use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0029_connect"
    }
}

/// Stripe Connect (`billing::connect`), the platform's side of it:
/// - `stripe_connected_accounts`, a directory entry: a connected Stripe
///   account and the tenant it belongs to (Connect events name the
///   account). The account's state is in the tenant's plane.
/// - `connect_payments`, the platform's own ledger of what passed through
///   each tenant's account and the application fee it earned (per charge),
///   so the console sums volume and fees per period without opening every
///   tenant. Both behind the wall with the platform scope beside it.
pub const CONNECT: &[&str] = &["stripe_connected_accounts", "connect_payments"];

const TABLES: &[&str] = &[
    "CREATE TABLE stripe_connected_accounts (
        account text NOT NULL PRIMARY KEY,
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL
    )",
    "CREATE INDEX stripe_connected_accounts_tenant_idx ON stripe_connected_accounts (tenant)",
    "CREATE TABLE connect_payments (
        tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        charge text NOT NULL,
        account text NOT NULL,
        currency text NOT NULL,
        amount bigint NOT NULL,
        amount_refunded bigint NOT NULL,
        fee bigint NOT NULL,
        fee_refunded bigint NOT NULL,
        disputed boolean NOT NULL,
        paid_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, charge)
    )",
    "CREATE INDEX connect_payments_paid_idx ON connect_payments (paid_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, TABLES).await?;
        if sql::is_postgres(manager) {
            for table in CONNECT {
                let statements = wall(table);
                let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
                sql::run(manager, &refs).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE connect_payments",
                "DROP TABLE stripe_connected_accounts",
            ],
        )
        .await
    }
}
