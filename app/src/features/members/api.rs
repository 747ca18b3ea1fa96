//! Members and branding: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

// Server functions mirror their forms field by field; a form here has more
// fields than clippy's default limit, and the attribute cannot reach the
// client stub the `#[server]` macro generates, so it is allowed here.
#![allow(clippy::too_many_arguments)]

use crate::dto::{BrandingDto, Role};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("verify_email", Need::Anyone),
    ("list_members", Need::Admin),
    ("add_member", Need::Admin),
    ("change_role", Need::Admin),
    ("remove_member", Need::Admin),
    ("send_verification", Need::Admin),
    ("save_branding", Need::Admin),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDto {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Whether the member's address is verified.
    #[serde(default)]
    pub verified: bool,
    /// Whether the member signs in with a second factor.
    #[serde(default)]
    pub two_factor: bool,
}

#[server]
pub async fn list_members() -> Result<Vec<MemberDto>, AppError> {
    Box::pin(super::server::list_members()).await
}

#[server]
pub async fn add_member(
    email: String,
    display_name: String,
    password: String,
    role: String,
) -> Result<MemberDto, AppError> {
    Box::pin(super::server::add_member(
        email,
        display_name,
        password,
        role,
    ))
    .await
}

#[server]
pub async fn change_role(user_id: String, role: String) -> Result<MemberDto, AppError> {
    Box::pin(super::server::change_role(user_id, role)).await
}

#[server]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    Box::pin(super::server::remove_member(user_id)).await
}

/// One argument per field of the branding form (so it also posts without
/// JavaScript); the later fields are optional so that a form without them
/// (or an older client) leaves them empty rather than failing.
#[server]
pub async fn save_branding(
    display_name: String,
    primary_color: String,
    accent_color: String,
    logo_url: String,
    login_text: String,
    product_name: Option<String>,
    support_email: Option<String>,
    primary_color_dark: Option<String>,
    accent_color_dark: Option<String>,
) -> Result<BrandingDto, AppError> {
    Box::pin(super::server::save_branding(
        tenantry::branding::BrandingInput {
            display_name,
            primary_color,
            accent_color,
            logo_url,
            login_text,
            product_name: product_name.unwrap_or_default(),
            support_email: support_email.unwrap_or_default(),
            primary_color_dark: primary_color_dark.unwrap_or_default(),
            accent_color_dark: accent_color_dark.unwrap_or_default(),
        },
    ))
    .await
}

/// Sends a member a link to verify their email address.
#[server]
pub async fn send_verification(user_id: String) -> Result<(), AppError> {
    Box::pin(super::server::send_verification(user_id)).await
}

/// Uses a verification link; returns the address it verified.
#[server]
pub async fn verify_email(token: String) -> Result<String, AppError> {
    Box::pin(super::server::verify_email(token)).await
}
