use sea_orm::entity::prelude::*;

/// A plan: what the tenants on it may do (see `crate::plans`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub name: String,
    pub tier: String,
    /// The billing system's price this plan maps to.
    pub price_ref: Option<String>,
    /// The placement tenants on this plan should get (`pool`, `schema`,
    /// `database`).
    pub placement_hint: Option<String>,
    /// `hard` or `soft`.
    pub quota_enforcement: String,
    /// JSON object: entitlement key → value.
    pub entitlements: String,
    /// JSON array of prices (see `crate::plans::prices`).
    pub prices: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
