//! A release rehearsal: the tenant plane plus one harmless additive migration
//! (a nullable `projects.archived` column). The fleet tests and the placement
//! benchmark migrate a fleet with it, as the next release would.

use crate::TenantMigrator;
use sea_orm_migration::prelude::*;

pub struct NextRelease;

/// The rehearsal's extra migration.
pub struct AddProjectsArchived;

impl MigrationName for AddProjectsArchived {
    fn name(&self) -> &str {
        "m9001_rehearsal_projects_archived"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddProjectsArchived {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE projects ADD COLUMN archived boolean NULL")
            .await
            .map(|_| ())
    }
}

#[async_trait::async_trait]
impl MigratorTrait for NextRelease {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = TenantMigrator::migrations();
        all.push(Box::new(AddProjectsArchived));
        all
    }

    fn migration_table_name() -> DynIden {
        TenantMigrator::migration_table_name()
    }
}
