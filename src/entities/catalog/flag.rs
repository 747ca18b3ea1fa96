use sea_orm::entity::prelude::*;

/// A feature flag's stored definition (see `crate::flags`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "flags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub description: String,
    /// `boolean`, `string`, `number` or `json`.
    pub kind: String,
    /// JSON.
    pub default_value: String,
    pub kill_switch: bool,
    /// JSON array of rules.
    pub rules: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
