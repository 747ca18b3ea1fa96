use sea_orm::entity::prelude::*;

/// One tenant lifecycle change in the outbox (see `crate::events`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lifecycle_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant: Uuid,
    pub slug: String,
    pub kind: String,
    pub actor: String,
    /// JSON object with the event's details.
    pub data: String,
    pub occurred_at: DateTimeUtc,
    pub dispatched_at: Option<DateTimeUtc>,
    pub dispatch_attempts: i32,
    /// After a subscriber failed: not retried before this.
    pub dispatch_after: Option<DateTimeUtc>,
    pub dispatch_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
