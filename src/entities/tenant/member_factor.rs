use sea_orm::entity::prelude::*;

/// A member's second factor (see `identity::two_factor`): one row once
/// they have enrolled, none before.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "member_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub secret_sealed: String,
    pub last_step: Option<i64>,
    /// JSON list of the SHA-256 digests (hex) of the unused recovery codes.
    pub recovery_codes: String,
    pub enrolled_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
