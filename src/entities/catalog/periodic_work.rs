use sea_orm::entity::prelude::*;

/// One kind of the platform's periodic work and when it is next due (see
/// `jobs::periodic`). Names no tenant.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "periodic_work")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub next_due: DateTimeUtc,
    pub last_started_at: Option<DateTimeUtc>,
    /// The instance that started the last period's run.
    pub last_instance: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
