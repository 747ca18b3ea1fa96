use sea_orm::entity::prelude::*;

/// A move of one tenant between placements, and how far it got.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_moves")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant: Uuid,
    pub from_placement: String,
    pub from_location: Option<String>,
    pub to_placement: String,
    pub to_location: Option<String>,
    pub step: String,
    pub rows_total: i64,
    pub rows_copied: i64,
    pub freeze_ms: Option<i64>,
    pub error: Option<String>,
    pub started_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The clusters at each end; `None`: the home cluster.
    pub from_cluster: Option<String>,
    pub to_cluster: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
