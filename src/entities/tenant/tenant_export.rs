use sea_orm::entity::prelude::*;

/// A tenant data export and how far it got.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `queued`, `running`, `done`, `failed` or `expired`.
    pub state: String,
    pub requested_by: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub size_bytes: Option<i64>,
    /// SHA-256 of the whole archive, hex.
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
