use sea_orm::entity::prelude::*;

/// An object the Stripe mirror created on Stripe's side, under our own key.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_mirror")]
pub struct Model {
    /// `meter`, `price` or `usage`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub our_key: String,
    pub stripe_id: String,
    /// For `usage`: the aggregate last reported.
    pub value: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
