use crate::catalog::m0016_directory_wall::statements as wall;
use crate::sql;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0025_member_directory"
    }
}

/// Which tenants an address belongs to, for the switcher a person sees
/// when the same address is a member of several: `email_key` is the
/// SHA-256 of the lower-cased address (the address itself stays in its
/// tenants' planes). A directory entry, behind the wall with the platform
/// scope beside it: a tenant's own transactions note and withdraw its
/// entries, and only the platform path reads them across tenants.
pub const DIRECTORY: &[&str] = &["member_directory"];

const TABLE: &str = "CREATE TABLE member_directory (
    email_key text NOT NULL,
    tenant uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    noted_at timestamptz NOT NULL,
    PRIMARY KEY (email_key, tenant)
)";

const BY_TENANT: &str = "CREATE INDEX member_directory_tenant_idx ON member_directory (tenant)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &[TABLE, BY_TENANT]).await?;
        if sql::is_postgres(manager) {
            let statements = wall("member_directory");
            let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
            sql::run(manager, &refs).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE member_directory"]).await
    }
}
