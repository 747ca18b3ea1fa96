use sea_orm::entity::prelude::*;

/// A purged tenant's final invoice, kept for financial retention until
/// `retain_until` (catalog m0018; `invoice_retention_days`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "retained_invoices")]
pub struct Model {
    /// The invoice's own id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The purged tenant's id (no key: its row is gone).
    pub tenant: Uuid,
    pub slug: String,
    pub number: String,
    pub period: String,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub currency: String,
    pub subtotal: i64,
    pub credits_applied: i64,
    pub total: i64,
    pub lines: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub retained_at: DateTimeUtc,
    pub retain_until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
