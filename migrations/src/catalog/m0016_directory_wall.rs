use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_statements;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_directory_wall"
    }
}

/// The role whose transactions read the directory across tenants
/// (`tenancy::PlatformDb`): the runtime role may `SET LOCAL ROLE` to it but
/// does not inherit it (scripts/pg-setup), so a forgotten binding sees no row.
pub const PLATFORM_ROLE: &str = "tenantry_platform";

/// Catalog rows that name a tenant and that the platform reads across
/// tenants: directory entries holding no secret (a key prefix's tenant, the
/// tenants with background work due) and the platform's own records about
/// tenants (the lifecycle event log, the platform endpoints' deliveries, the
/// platform audit, the fleet's unit versions and the moves between
/// placements). On PostgreSQL they go behind the wall: a transaction
/// bound to one tenant sees that tenant's rows, the platform scope sees all,
/// and anything else sees none.
pub const WALLED: &[&str] = &[
    "api_key_prefixes",
    "work_due",
    "lifecycle_events",
    "platform_webhook_deliveries",
    "platform_audit",
    "fleet_units",
    "tenant_moves",
];

/// The tenant wall on the `tenant` column, and the platform scope beside it.
pub(crate) fn statements(table: &str) -> Vec<String> {
    let mut statements = wall_statements(table, "tenant").to_vec();
    statements.push(format!(
        "CREATE POLICY platform_scope ON {table} FOR ALL TO {PLATFORM_ROLE} \
         USING (true) WITH CHECK (true)"
    ));
    statements
}

/// What [`statements`] did, undone.
pub(crate) fn unwall_statements(table: &str) -> [String; 4] {
    [
        format!("DROP POLICY platform_scope ON {table}"),
        format!("DROP POLICY tenant_isolation ON {table}"),
        format!("ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"),
        format!("ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !sql::is_postgres(manager) {
            return Ok(());
        }
        // A policy cannot name a role that does not exist; say how to make it.
        sql::run(
            manager,
            &[&format!(
                "DO $$ BEGIN
                   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PLATFORM_ROLE}') THEN
                     RAISE EXCEPTION 'role {PLATFORM_ROLE} does not exist: run scripts/pg-setup \
                       (it creates the role and lets the runtime role SET ROLE to it)';
                   END IF;
                 END $$"
            )],
        )
        .await?;
        for table in WALLED {
            let statements = statements(table);
            let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
            sql::run(manager, &refs).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !sql::is_postgres(manager) {
            return Ok(());
        }
        for table in WALLED {
            let statements = unwall_statements(table);
            let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
            sql::run(manager, &refs).await?;
        }
        Ok(())
    }
}
