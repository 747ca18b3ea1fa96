use crate::sql;
use crate::tenant_plane::m0001_identity_and_projects::wall_tables;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_sso_identities"
    }
}

/// A member's identity at the tenant's SSO provider (`issuer`, `subject`),
/// linked by the member while signed in. Once linked, SSO signs that member
/// in only as that identity; an owner is signed in through SSO only once
/// linked, so whoever configures a provider cannot take an owner's account
/// with an identity of their own.
pub const TABLES: &[&str] = &["sso_identities"];

const DDL: &[&str] = &["CREATE TABLE sso_identities (
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        issuer text NOT NULL,
        subject text NOT NULL,
        linked_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, user_id, issuer),
        CONSTRAINT sso_identities_subject_key UNIQUE (tenant_id, issuer, subject)
    )"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DDL).await?;
        wall_tables(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE sso_identities"]).await
    }
}
