use sea_orm::entity::prelude::*;

/// The cost ledger: what one tenant cost over one minute (`span` "m") or
/// one hour ("h"), as every instance counted it (catalog m0027).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_costs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub span: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub start_at: DateTimeUtc,
    pub requests: i64,
    pub errors: i64,
    pub request_cpu_us: i64,
    pub jobs: i64,
    pub job_cpu_us: i64,
    pub db_us: i64,
    pub db_statements: i64,
    pub db_rows: i64,
    pub egress_bytes: i64,
    pub storage_bytes: i64,
    pub lat_10: i64,
    pub lat_25: i64,
    pub lat_50: i64,
    pub lat_100: i64,
    pub lat_250: i64,
    pub lat_500: i64,
    pub lat_1000: i64,
    pub lat_2500: i64,
    pub lat_slower: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
