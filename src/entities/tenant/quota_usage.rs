use sea_orm::entity::prelude::*;

/// How much of a quota a tenant used in one period.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quota_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub quota: String,
    /// `2026-11` (monthly quotas) or `2026-11-26` (daily).
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    pub used: i64,
    /// The highest threshold (80, 100) already announced this period.
    pub notified: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
