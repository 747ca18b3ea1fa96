use sea_orm::entity::prelude::*;

/// A tenant's custom host name and its DNS verification state.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub hostname: String,
    /// `pending`, `verified` or `lapsed`.
    pub state: String,
    /// The value the TXT record must hold.
    pub token: String,
    pub is_primary: bool,
    /// Consecutive failed checks.
    pub failures: i32,
    pub last_error: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub next_check_at: DateTimeUtc,
    pub verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
