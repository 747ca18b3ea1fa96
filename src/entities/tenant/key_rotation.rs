use sea_orm::entity::prelude::*;

/// One rotation of the tenant's data key and how far its re-sealing has
/// got (`lifecycle::key_rotation`). The keys are in the keyring, not here.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_rotations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The key generation everything is being sealed with.
    pub generation: i32,
    /// `waiting` (for every instance to know the new key), `sealing`,
    /// `done` or `failed`.
    pub state: String,
    pub values_total: i64,
    pub values_done: i64,
    pub objects_total: i64,
    pub objects_done: i64,
    pub requested_by: String,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
