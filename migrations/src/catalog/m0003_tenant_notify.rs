use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_tenant_notify"
    }
}

/// Every change to a tenant or its branding, by any process, notifies
/// `tenantry_tenants` with the tenant's id at commit; servers listen and drop
/// the tenant from their in-memory map. Postgres only (SQLite has no
/// notifications; its map entries expire instead).
const STATEMENTS: &[&str] = &[
    r#"CREATE FUNCTION tenantry_tenant_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        changed jsonb := to_jsonb(COALESCE(NEW, OLD));
    BEGIN
        PERFORM pg_notify('tenantry_tenants', COALESCE(changed->>'tenant', changed->>'id'));
        RETURN NULL;
    END
    $fn$"#,
    "CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE ON tenants
     FOR EACH ROW EXECUTE FUNCTION tenantry_tenant_changed()",
    "CREATE TRIGGER tenant_branding_changed AFTER INSERT OR UPDATE OR DELETE ON tenant_branding
     FOR EACH ROW EXECUTE FUNCTION tenantry_tenant_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(manager, STATEMENTS).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if sql::is_postgres(manager) {
            sql::run(
                manager,
                &[
                    "DROP TRIGGER tenant_branding_changed ON tenant_branding",
                    "DROP TRIGGER tenants_changed ON tenants",
                    "DROP FUNCTION tenantry_tenant_changed()",
                ],
            )
            .await?;
        }
        Ok(())
    }
}
