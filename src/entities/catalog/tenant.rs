use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub state: String,
    pub placement: String,
    pub location: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub suspended_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    /// The key of the tenant's plan.
    pub plan: String,
    /// A self-serve signup's tenant, pending until its owner confirms their
    /// address, lapses at this time; `None` for any other tenant.
    pub signup_expires_at: Option<DateTimeUtc>,
    /// The PostgreSQL cluster holding its rows; `None`: the home cluster.
    pub cluster: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
