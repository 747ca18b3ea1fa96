use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_connect"
    }
}

/// Stripe Connect, the tenant's side (`billing::connect`):
/// - `connected_accounts`: the tenant's one connected Stripe account and
///   its state as Stripe last told it (details submitted, charges and
///   payouts enabled, what is still due); `disconnected_at` once the owner
///   or Stripe ended it.
/// - `offers`: what the tenant sells to its own customers (a name and a
///   price in minor units).
/// - `purchases`: one per checkout an end-user started, mirrored from the
///   connected account's Checkout Session, PaymentIntent and Charge:
///   amounts refunded, disputes, the platform's application fee.
pub const TABLES: &[&str] = &["connected_accounts", "offers", "purchases"];

const DDL: &[&str] = &[
    "CREATE TABLE connected_accounts (
        tenant_id uuid NOT NULL PRIMARY KEY,
        account text NOT NULL,
        details_submitted boolean NOT NULL,
        charges_enabled boolean NOT NULL,
        payouts_enabled boolean NOT NULL,
        requirements_due text NOT NULL,
        disabled_reason text NULL,
        connected_at timestamptz NOT NULL,
        disconnected_at timestamptz NULL,
        updated_at timestamptz NOT NULL
    )",
    "CREATE TABLE offers (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        name text NOT NULL,
        description text NOT NULL,
        amount bigint NOT NULL,
        currency text NOT NULL,
        active boolean NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE TABLE purchases (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL,
        offer_id uuid NOT NULL,
        buyer_id uuid NOT NULL,
        buyer_email text NOT NULL,
        item text NOT NULL,
        account text NOT NULL,
        amount bigint NOT NULL,
        currency text NOT NULL,
        fee bigint NOT NULL,
        checkout_session text NULL,
        checkout_url text NULL,
        payment_intent text NULL,
        charge text NULL,
        status text NOT NULL,
        amount_refunded bigint NOT NULL,
        fee_refunded bigint NOT NULL,
        disputed boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, offer_id) REFERENCES offers (tenant_id, id)
    )",
    "CREATE UNIQUE INDEX purchases_session_idx ON purchases (tenant_id, checkout_session)",
    "CREATE INDEX purchases_created_idx ON purchases (tenant_id, created_at, id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        wall_tables(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE purchases",
                "DROP TABLE offers",
                "DROP TABLE connected_accounts",
            ],
        )
        .await
    }
}
