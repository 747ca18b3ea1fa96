use sea_orm::entity::prelude::*;

/// The tenant's connected Stripe account (`billing::connect`), one at
/// most, as Stripe's `account.updated` last described it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "connected_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// Stripe's `acct_…` id.
    pub account: String,
    pub details_submitted: bool,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
    /// JSON list of Stripe's `requirements.currently_due`.
    pub requirements_due: String,
    pub disabled_reason: Option<String>,
    pub connected_at: DateTimeUtc,
    /// Set once the owner disconnected it or Stripe deauthorized us.
    pub disconnected_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
