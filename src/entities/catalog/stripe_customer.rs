use sea_orm::entity::prelude::*;

/// Directory: a Stripe customer and the tenant it bills (Stripe's events
/// name the customer). The account itself is in the tenant's plane.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer: String,
    pub tenant: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
