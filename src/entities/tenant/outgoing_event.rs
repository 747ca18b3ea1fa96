use sea_orm::entity::prelude::*;

/// A platform audit entry (and the lifecycle event of the same act) raised
/// in this plane,
/// waiting to be relayed into the catalog's event log (`events::relay`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The lifecycle event's kind; empty for an audit entry alone.
    pub kind: String,
    pub actor: String,
    /// The event's data, as JSON text.
    pub data: String,
    /// The platform audit entry's action; empty for an event alone.
    pub audit_action: String,
    pub audit_detail: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
