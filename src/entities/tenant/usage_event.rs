use sea_orm::entity::prelude::*;

/// One usage event, keyed by the sender's idempotency key.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub meter: String,
    pub quantity: i64,
    pub occurred_at: DateTimeUtc,
    /// `YYYY-MM-DD` (UTC) of `occurred_at`.
    pub day: String,
    /// JSON object of strings.
    pub properties: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
