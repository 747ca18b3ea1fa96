use sea_orm::entity::prelude::*;

/// An end-user's purchase of an offer, paid on the tenant's connected
/// account (`billing::connect::purchases`), mirrored from Stripe.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub offer_id: Uuid,
    /// The member who bought.
    pub buyer_id: Uuid,
    /// Where the receipt goes.
    pub buyer_email: String,
    /// The offer's name when bought.
    pub item: String,
    /// The connected account the payment went to.
    pub account: String,
    pub amount: i64,
    pub currency: String,
    /// The platform's application fee on it.
    pub fee: i64,
    pub checkout_session: Option<String>,
    pub checkout_url: Option<String>,
    pub payment_intent: Option<String>,
    pub charge: Option<String>,
    /// `open`, `paid`, `partially_refunded`, `refunded`, `expired`.
    pub status: String,
    pub amount_refunded: i64,
    pub fee_refunded: i64,
    pub disputed: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
