use sea_orm::entity::prelude::*;

/// The platform's ledger of a payment on a tenant's connected account: its
/// volume and the application fee the platform earned (catalog m0029).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "connect_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub charge: String,
    pub account: String,
    pub currency: String,
    pub amount: i64,
    pub amount_refunded: i64,
    pub fee: i64,
    pub fee_refunded: i64,
    pub disputed: bool,
    pub paid_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
