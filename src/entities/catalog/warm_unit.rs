use sea_orm::entity::prelude::*;

/// A tenant unit made ahead for a signup to claim (see
/// `lifecycle::warm_units`). Names no tenant until claimed, when the row goes.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "warm_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub placement: String,
    pub location: Option<String>,
    /// The tenant migration the unit was made at.
    pub version: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
