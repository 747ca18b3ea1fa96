use sea_orm::entity::prelude::*;

/// Directory: an address (as the SHA-256 of its lower-cased form) that is a
/// member of a tenant. What the switcher lists; the address itself and the
/// membership stay in the tenant's plane.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "member_directory")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub email_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant: Uuid,
    pub noted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
