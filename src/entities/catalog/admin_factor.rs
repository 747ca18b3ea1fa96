use sea_orm::entity::prelude::*;

/// A superadmin's second factor, as `tenant::member_factor` is a member's.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub admin_id: Uuid,
    pub secret_sealed: String,
    pub last_step: Option<i64>,
    pub recovery_codes: String,
    pub enrolled_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
