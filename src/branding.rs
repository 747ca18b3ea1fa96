//! A tenant's brand: display name, product name, colours for light and dark
//! mode (served as CSS variables, each checked for WCAG AA contrast with the
//! white text drawn on it), logo, sign-in page text, support email.

use crate::entities::tenant::branding;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::events::EventKind;
use crate::tenancy::TenantCtx;

pub mod assets;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

pub const DEFAULT_PRIMARY: &str = "#4f46e5";
pub const DEFAULT_ACCENT: &str = "#0369a1";

/// WCAG 2 AA for normal text.
const MIN_CONTRAST: f64 = 4.5;

/// The branding of a tenant named `name` whose admins have not set one
/// (its plane holds no row).
pub(crate) fn default_for(tenant: uuid::Uuid, name: &str) -> branding::Model {
    branding::Model {
        tenant_id: tenant,
        display_name: name.to_owned(),
        primary_color: DEFAULT_PRIMARY.into(),
        accent_color: DEFAULT_ACCENT.into(),
        logo_url: None,
        login_text: None,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        product_name: None,
        support_email: None,
        primary_color_dark: None,
        accent_color_dark: None,
        favicon_url: None,
    }
}

/// Replaces the tenant's branding with `brand` in one transaction of its
/// plane, which also raises `branding.changed` (`data`) with the platform
/// audit entry `action`.
pub(crate) async fn save(
    ctx: &TenantCtx,
    brand: branding::Model,
    actor: &str,
    action: &str,
    data: serde_json::Value,
) -> Result<branding::Model> {
    let change = changes_between(&ctx.tenant().branding, &brand);
    let mut row = brand.into_active_model().reset_all();
    row.updated_at = Set(chrono::Utc::now());
    let db = ctx.db().await?;
    branding::Entity::delete_many().exec(&db).await?;
    let saved = db.insert(row).await?;
    crate::audit::record_tenant(&db, actor, "branding.changed", &change).await?;
    let event = Raised {
        kind: Some(EventKind::BrandingChanged),
        actor,
        data,
        audit_action: Some(action),
        audit_detail: "",
    };
    relay::raise(&db, event).await?;
    db.commit().await?;
    relay::relay_now(ctx).await;
    Ok(saved)
}

/// Each field of the branding that differs, before and after.
fn changes_between(before: &branding::Model, after: &branding::Model) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let pairs = [
        (
            "display_name",
            before.display_name.clone(),
            after.display_name.clone(),
        ),
        (
            "product_name",
            text(&before.product_name),
            text(&after.product_name),
        ),
        (
            "primary_color",
            before.primary_color.clone(),
            after.primary_color.clone(),
        ),
        (
            "accent_color",
            before.accent_color.clone(),
            after.accent_color.clone(),
        ),
        (
            "primary_color_dark",
            text(&before.primary_color_dark),
            text(&after.primary_color_dark),
        ),
        (
            "accent_color_dark",
            text(&before.accent_color_dark),
            text(&after.accent_color_dark),
        ),
        ("logo_url", text(&before.logo_url), text(&after.logo_url)),
        (
            "favicon_url",
            text(&before.favicon_url),
            text(&after.favicon_url),
        ),
        (
            "login_text",
            text(&before.login_text),
            text(&after.login_text),
        ),
        (
            "support_email",
            text(&before.support_email),
            text(&after.support_email),
        ),
    ];
    crate::audit::changes(&pairs)
}

/// Branding input as typed by an admin.
#[derive(Debug, Clone, Default)]
pub struct BrandingInput {
    pub display_name: String,
    pub primary_color: String,
    pub accent_color: String,
    pub logo_url: String,
    pub login_text: String,
    pub product_name: String,
    pub support_email: String,
    /// Empty: the light colour is used in dark mode too.
    pub primary_color_dark: String,
    pub accent_color_dark: String,
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

/// Relative luminance of an `#rrggbb` colour (WCAG 2).
fn luminance(color: &str) -> f64 {
    let channel = |i: usize| {
        let value = f64::from(u8::from_str_radix(&color[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if value <= 0.039_28 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/// Contrast ratio of white text on `color` (1 to 21).
pub fn contrast_with_white(color: &str) -> f64 {
    1.05 / (luminance(color) + 0.05)
}

/// A colour that carries white text (headers, badges, buttons): parsed, and
/// refused below WCAG AA with the ratio it has.
fn parse_text_background(field: &'static str, raw: &str) -> Result<String> {
    let color = parse_color(field, raw)?;
    let ratio = contrast_with_white(&color);
    if ratio < MIN_CONTRAST {
        return Err(Error::invalid(
            field,
            format!(
                "white text on {color} has a contrast ratio of {ratio:.2}:1; WCAG AA needs at \
                 least 4.5:1, so choose a darker colour"
            ),
        ));
    }
    Ok(color)
}

fn optional(raw: &str, parse: impl FnOnce(&str) -> Result<String>) -> Result<Option<String>> {
    match raw.trim() {
        "" => Ok(None),
        value => parse(value).map(Some),
    }
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
pub async fn update(ctx: &TenantCtx, input: BrandingInput, actor: &str) -> Result<branding::Model> {
    let display_name = input.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(Error::invalid(
            "display_name",
            "must be 1 to 100 characters",
        ));
    }
    let primary = parse_text_background("primary_color", &input.primary_color)?;
    let accent = parse_text_background("accent_color", &input.accent_color)?;
    let primary_dark = optional(&input.primary_color_dark, |c| {
        parse_text_background("primary_color_dark", c)
    })?;
    let accent_dark = optional(&input.accent_color_dark, |c| {
        parse_text_background("accent_color_dark", c)
    })?;
    let product_name = optional(&input.product_name, |name| {
        if name.chars().count() > 60 {
            return Err(Error::invalid(
                "product_name",
                "must be at most 60 characters",
            ));
        }
        Ok(name.to_owned())
    })?;
    let support_email = optional(&input.support_email, |email| {
        Ok(crate::identity::email::Email::parse("support_email", email)?.to_string())
    })?;
    let logo = parse_logo(&input.logo_url)?;
    let login_text = input.login_text.trim().to_owned();
    if login_text.chars().count() > 500 {
        return Err(Error::invalid(
            "login_text",
            "must be at most 500 characters",
        ));
    }
    let brand = branding::Model {
        display_name,
        primary_color: primary,
        accent_color: accent,
        logo_url: logo,
        login_text: (!login_text.is_empty()).then_some(login_text),
        product_name,
        support_email,
        primary_color_dark: primary_dark,
        accent_color_dark: accent_dark,
        ..ctx.tenant().branding.clone()
    };
    let data = serde_json::json!({
        "display_name": brand.display_name,
        "primary_color": brand.primary_color,
        "accent_color": brand.accent_color,
        "logo_url": brand.logo_url,
    });
    save(ctx, brand, actor, "tenant.branding_changed", data).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast_with_white("#ffffff") - 1.0).abs() < 0.01);
        assert!((contrast_with_white("#000000") - 21.0).abs() < 0.01);
        // Known values: pure red 4.00, indigo-600 6.29.
        assert!((contrast_with_white("#ff0000") - 4.0).abs() < 0.01);
        assert!((contrast_with_white("#4f46e5") - 6.29).abs() < 0.01);
        assert!(contrast_with_white(DEFAULT_PRIMARY) >= MIN_CONTRAST);
        assert!(contrast_with_white(DEFAULT_ACCENT) >= MIN_CONTRAST);
    }

    #[test]
    fn low_contrast_colours_are_refused_with_their_ratio() {
        let err = parse_text_background("primary_color", "#FF0000").expect_err("4.00:1");
        assert!(err.to_string().contains("4.00:1"), "{err}");
        assert_eq!(
            parse_text_background("primary_color", "#B91C1C")
                .ok()
                .as_deref(),
            Some("#b91c1c")
        );
    }
}
