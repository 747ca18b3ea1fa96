use sea_orm::entity::prelude::*;

/// Directory: a custom host name verified by a tenant, and that tenant. No
/// token and no state (those are the tenant's, in its plane); the primary
/// key makes a name verified by one tenant at most.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "verified_hosts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hostname: String,
    pub tenant: Uuid,
    pub verified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
