use sea_orm::entity::prelude::*;

/// A payment-provider event already applied (its id is the dedupe key).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: String,
    /// When the provider says the event happened.
    pub created_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub account: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
