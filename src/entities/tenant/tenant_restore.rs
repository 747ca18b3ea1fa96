use sea_orm::entity::prelude::*;

/// A restore of an export, or an import from outside, into the tenant's
/// plane, and how far it has got (`lifecycle::restore`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_restores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `restore` (an export of this platform) or `import` (from outside).
    pub kind: String,
    /// Where it came from: the export's tenant and time, or the import's name.
    pub source: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub files_total: i64,
    pub files_done: i64,
    pub requested_by: String,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
