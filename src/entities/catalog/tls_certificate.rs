use sea_orm::entity::prelude::*;

/// A verified custom domain's certificate; the key is sealed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tls_certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hostname: String,
    pub tenant: Uuid,
    pub chain_pem: String,
    pub key_sealed: String,
    pub not_after: DateTimeUtc,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
