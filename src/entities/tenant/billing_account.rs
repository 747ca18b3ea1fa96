use sea_orm::entity::prelude::*;

/// Who pays for a tenant's use (see `crate::billing::accounts`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `tenant`: the platform bills the tenant itself.
    pub customer: String,
    /// `active` or `past_due`.
    pub status: String,
    pub past_due_since: Option<DateTimeUtc>,
    /// When the provider event that set `status` happened: an older event
    /// delivered late does not undo a newer one.
    pub status_at: Option<DateTimeUtc>,
    /// Whether billing (not a superadmin) suspended the tenant, so that a
    /// payment resumes it.
    pub suspended_for_billing: bool,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
