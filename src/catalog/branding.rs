//! A tenant's brand: display name, product name, colours for light and dark
//! mode (served as CSS variables, each checked for WCAG AA contrast with the
//! white text drawn on it), logo, sign-in page text, support email.

use crate::entities::catalog::tenant_branding;
use crate::error::{Error, Result};
use crate::events::{outbox, EventKind};
use crate::tenancy::TenantCtx;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

pub const DEFAULT_PRIMARY: &str = "#4f46e5";
pub const DEFAULT_ACCENT: &str = "#0369a1";

/// WCAG 2 AA for normal text.
const MIN_CONTRAST: f64 = 4.5;

/// A new tenant's branding, to be stamped with its tenant.
pub(crate) fn default_for(name: &str) -> tenant_branding::ActiveModel {
    tenant_branding::ActiveModel {
        display_name: Set(name.to_owned()),
        primary_color: Set(DEFAULT_PRIMARY.into()),
        accent_color: Set(DEFAULT_ACCENT.into()),
        logo_url: Set(None),
        login_text: Set(None),
        updated_at: Set(chrono::Utc::now()),
        product_name: Set(None),
        support_email: Set(None),
        primary_color_dark: Set(None),
        accent_color_dark: Set(None),
        favicon_url: Set(None),
        ..Default::default()
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
    let engine = ctx.engine();
    let mut row = ctx.tenant().branding.clone().into_active_model();
    row.display_name = Set(display_name);
    row.primary_color = Set(primary);
    row.accent_color = Set(accent);
    row.logo_url = Set(logo);
    row.login_text = Set((!login_text.is_empty()).then_some(login_text));
    row.product_name = Set(product_name);
    row.support_email = Set(support_email);
    row.primary_color_dark = Set(primary_dark);
    row.accent_color_dark = Set(accent_dark);
    row.updated_at = Set(chrono::Utc::now());
    let txn = ctx.records().await?;
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
