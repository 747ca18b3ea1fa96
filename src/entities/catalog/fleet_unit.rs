use sea_orm::entity::prelude::*;

/// The tenant-plane schema version of one migratable unit: `pool`,
/// `template:schema`, `template:database`, `schema:<name>`, `database:<name>`
/// or `file:<tenant id>`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fleet_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit: String,
    pub tenant: Option<Uuid>,
    pub version: String,
    /// `ok` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
