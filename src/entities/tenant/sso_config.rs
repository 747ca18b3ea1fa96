use sea_orm::entity::prelude::*;

/// A tenant's OpenID Connect single sign-on configuration.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub issuer: String,
    pub client_id: String,
    /// Sealed with `secret_key`; never shown again.
    pub client_secret_sealed: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// Comma-separated email domains allowed to sign in.
    pub allowed_domains: String,
    pub jit_provisioning: bool,
    pub default_role: String,
    pub enforce_sso: bool,
    pub break_glass_email: Option<String>,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
