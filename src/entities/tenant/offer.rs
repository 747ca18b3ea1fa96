use sea_orm::entity::prelude::*;

/// Something the tenant sells to its own customers through its connected
/// account (`billing::connect::offers`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// In the currency's minor units.
    pub amount: i64,
    /// ISO 4217, lower case (`eur`).
    pub currency: String,
    /// Archived offers stay for the purchases that name them.
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
