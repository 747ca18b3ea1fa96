use sea_orm::entity::prelude::*;

/// What usage is counted and how (see `crate::plans::meters`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub name: String,
    pub unit: String,
    /// `count`, `sum`, `max` or `unique_count`.
    pub aggregation: String,
    /// The property `unique_count` counts distinct values of.
    pub property: Option<String>,
    /// JSON object: property → the value an event must carry to count.
    pub filters: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
