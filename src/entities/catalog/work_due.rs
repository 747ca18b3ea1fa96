use sea_orm::entity::prelude::*;

/// Directory: a tenant with work waiting in one of its background queues,
/// from when. A hint for that queue's worker; the work itself (messages,
/// archives) is in the tenant's own plane.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "work_due")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant: Uuid,
    /// `mail` or `exports` (see `tenancy::directory::Queue`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub queue: String,
    pub due_at: DateTimeUtc,
    /// When work was last noted.
    pub noted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
