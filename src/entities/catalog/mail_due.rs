use sea_orm::entity::prelude::*;

/// Directory: a tenant with mail to send, from when. A hint for the delivery
/// loop; the messages themselves are in the tenant's own outbox.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_due")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant: Uuid,
    pub due_at: DateTimeUtc,
    /// When mail was last queued.
    pub noted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
