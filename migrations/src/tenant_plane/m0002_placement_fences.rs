use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_placement_fences"
    }
}

/// A fence marks a tenant whose rows have moved away from this placement: a
/// request that still thinks the tenant lives here is refused and retried on
/// the new placement. Keyed by `tenant`, not `tenant_id`: it is bookkeeping
/// about tenants, read before any tenant is bound.
const FENCES: &str = "CREATE TABLE tenant_fences (
    tenant uuid NOT NULL PRIMARY KEY,
    moved_at timestamptz NOT NULL
)";

/// Binds a tenant to the current transaction in one round trip, on every
/// Postgres placement:
///
/// - `search_path` → the placement's schema and `app.tenant_id` → the tenant,
///   both transaction-local;
/// - a shared advisory lock per tenant, one key for writers (1) and one for
///   readers (2): a move takes the writers' key exclusively for its short write
///   freeze, and the readers' key as a barrier before it deletes the old copy;
/// - read transactions are made read-only, so a write cannot slip past the
///   freeze through a reader;
/// - then, in a fresh snapshot taken after the lock, refuses a fenced tenant.
///
/// Always created in `public` and called as `public.tenantry_enter`, so schema
/// placements need no copy of it.
const ENTER: &str = r#"CREATE OR REPLACE FUNCTION public.tenantry_enter(
    tenant uuid, schema_name text, writes boolean
) RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    PERFORM set_config('search_path', quote_ident(schema_name), true);
    PERFORM set_config('app.tenant_id', tenant::text, true);
    IF writes THEN
        PERFORM pg_advisory_xact_lock_shared(1, hashtext(tenant::text));
    ELSE
        PERFORM set_config('transaction_read_only', 'on', true);
        PERFORM pg_advisory_xact_lock_shared(2, hashtext(tenant::text));
    END IF;
    IF EXISTS (SELECT 1 FROM tenant_fences f WHERE f.tenant = tenantry_enter.tenant) THEN
        RAISE EXCEPTION 'tenantry: tenant % has moved to another placement', tenant
            USING ERRCODE = 'TM001';
    END IF;
END
$fn$"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[FENCES]).await?;
        if sql::is_postgres(manager) {
            sql::run(manager, &[ENTER]).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE tenant_fences"]).await
    }
}
