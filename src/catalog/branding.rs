//! A tenant's brand: display name, colours (served as CSS variables), logo,
//! sign-in page text.

use crate::entities::catalog::tenant_branding;
use crate::error::{Error, Result};
use crate::events::{outbox, EventKind};
use crate::tenancy::{TenantCtx, TenantId};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set, TransactionTrait};

pub const DEFAULT_PRIMARY: &str = "#4f46e5";
pub const DEFAULT_ACCENT: &str = "#0ea5e9";

pub(crate) fn default_for(tenant: TenantId, name: &str) -> tenant_branding::ActiveModel {
    tenant_branding::ActiveModel {
        tenant: Set(tenant.uuid()),
        display_name: Set(name.to_owned()),
        primary_color: Set(DEFAULT_PRIMARY.into()),
        accent_color: Set(DEFAULT_ACCENT.into()),
        logo_url: Set(None),
        login_text: Set(None),
        updated_at: Set(chrono::Utc::now()),
    }
}

/// Branding input as typed by an admin.
#[derive(Debug, Clone, Default)]
pub struct BrandingInput {
    pub display_name: String,
    pub primary_color: String,
    pub accent_color: String,
    pub logo_url: String,
    pub login_text: String,
}

/// `#rrggbb`, lowercased.
pub fn parse_color(field: &'static str, raw: &str) -> Result<String> {
    let c = raw.trim().to_ascii_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(Error::invalid(field, "must be a colour like #1a2b3c"));
    }
    Ok(c)
}

fn parse_logo(raw: &str) -> Result<Option<String>> {
    let url = raw.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let scheme_ok =
        url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
    let safe = !url
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '(' | ')'));
    if !scheme_ok || !safe || url.len() > 500 {
        return Err(Error::invalid(
            "logo_url",
            "must be an http(s) URL or a path, at most 500 characters",
        ));
    }
    Ok(Some(url.to_owned()))
}

/// Saves the tenant's branding; nothing is written if any field is invalid.
pub async fn update(
    ctx: &TenantCtx,
    input: BrandingInput,
    actor: &str,
) -> Result<tenant_branding::Model> {
    let display_name = input.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(Error::invalid(
            "display_name",
            "must be 1 to 100 characters",
        ));
    }
    let primary = parse_color("primary_color", &input.primary_color)?;
    let accent = parse_color("accent_color", &input.accent_color)?;
    let logo = parse_logo(&input.logo_url)?;
    let login_text = input.login_text.trim().to_owned();
    if login_text.chars().count() > 500 {
        return Err(Error::invalid(
            "login_text",
            "must be at most 500 characters",
        ));
    }
    let engine = ctx.engine();
    let mut row = ctx.tenant().branding.clone().into_active_model();
    row.display_name = Set(display_name);
    row.primary_color = Set(primary);
    row.accent_color = Set(accent);
    row.logo_url = Set(logo);
    row.login_text = Set((!login_text.is_empty()).then_some(login_text));
    row.updated_at = Set(chrono::Utc::now());
    let txn = engine.catalog().begin().await?;
    let saved = row.update(&txn).await?;
    super::audit::record_in(&txn, actor, "tenant.branding_changed", Some(ctx.id()), "").await?;
    let data = serde_json::json!({
        "display_name": saved.display_name,
        "primary_color": saved.primary_color,
        "accent_color": saved.accent_color,
        "logo_url": saved.logo_url,
    });
    let slug = ctx.tenant().slug.as_str();
    outbox::append(
        &txn,
        ctx.id(),
        slug,
        EventKind::BrandingChanged,
        actor,
        data,
    )
    .await?;
    txn.commit().await?;
    engine.tenant_changed(ctx.id());
    engine.events().wake();
    Ok(saved)
}
