use sea_orm::entity::prelude::*;

/// The tenant's brand (one row; none means the defaults of
/// `branding::default_for`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_branding")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub display_name: String,
    pub primary_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub login_text: Option<String>,
    pub updated_at: DateTimeUtc,
    /// Shown in page titles instead of the display name, when set.
    pub product_name: Option<String>,
    /// Shown on every page of the tenant's host as where to get help.
    pub support_email: Option<String>,
    /// Dark-mode variants of the colours (`prefers-color-scheme: dark`).
    pub primary_color_dark: Option<String>,
    pub accent_color_dark: Option<String>,
    /// Where the uploaded favicon is served (`/brand/favicon.png?v=…`).
    pub favicon_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
