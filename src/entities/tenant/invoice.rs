use sea_orm::entity::prelude::*;

/// A final invoice. Its figures are frozen by a database trigger; only the
/// payment columns change.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account: Uuid,
    pub number: String,
    /// `2026-11`.
    pub period: String,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub currency: String,
    pub subtotal: i64,
    pub credits_applied: i64,
    pub total: i64,
    /// JSON array of `crate::billing::rating::Line`.
    pub lines: String,
    /// `open`, `paid` or `void`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub paid_by: Option<String>,
    /// The mirrored invoice's id at the payment provider.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
