use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub data: String,
    pub expires_at: DateTimeUtc,
    /// The scope and subject signed in, copied out of `data` so that all of
    /// one person's sessions can be ended together.
    pub scope: Option<String>,
    pub subject: Option<Uuid>,
    /// The session's public handle, which platform tokens name.
    pub handle: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
