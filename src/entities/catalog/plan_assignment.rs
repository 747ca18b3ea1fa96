use sea_orm::entity::prelude::*;

/// From `since` on, the tenant was on `plan` (until its next assignment).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub since: DateTimeUtc,
    pub plan: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
