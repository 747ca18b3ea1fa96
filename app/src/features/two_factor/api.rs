//! The server functions of two-factor sign-in (each body one call into
//! `server.rs`) and what they carry.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs (see `backend::needs`). The
/// person's own factor: whoever is signed in on this host, member or
/// superadmin. The tenant's rule: its owners and admins.
pub const NEEDS: &[(&str, Need)] = &[
    ("two_factor_status", Need::SignedIn),
    ("begin_two_factor", Need::SignedIn),
    ("enrol_two_factor", Need::SignedIn),
    ("turn_off_two_factor", Need::SignedIn),
    ("renew_recovery_codes", Need::SignedIn),
    ("confirm_factor", Need::SignedIn),
    ("set_two_factor_rule", Need::Admin),
    ("reset_member_two_factor", Need::Admin),
];

/// The person's second factor and the rule they are under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorDto {
    pub enrolled: bool,
    pub enrolled_at: String,
    pub recovery_left: usize,
    /// Their organisation (or the platform) requires one: it cannot be
    /// turned off.
    pub required: bool,
}

/// What to show while setting up an authenticator app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolmentDto {
    /// Base32, in groups of four, to type by hand.
    pub secret: String,
    /// The QR code as an SVG document, drawn by the server.
    pub qr_svg: String,
    /// Handed back with the first code.
    pub ticket: String,
}

#[server]
pub async fn two_factor_status() -> Result<TwoFactorDto, AppError> {
    Box::pin(super::server::two_factor_status()).await
}

#[server]
pub async fn begin_two_factor() -> Result<EnrolmentDto, AppError> {
    Box::pin(super::server::begin_two_factor()).await
}

/// Keeps the factor once `code` proves it; the recovery codes, shown once.
#[server]
pub async fn enrol_two_factor(ticket: String, code: String) -> Result<Vec<String>, AppError> {
    Box::pin(super::server::enrol_two_factor(ticket, code)).await
}

#[server]
pub async fn turn_off_two_factor(code: String) -> Result<(), AppError> {
    Box::pin(super::server::turn_off_two_factor(code)).await
}

/// New recovery codes (the old ones stop working), shown once.
#[server]
pub async fn renew_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    Box::pin(super::server::renew_recovery_codes(code)).await
}

/// Proves the factor again in this session, for a sensitive act.
#[server]
pub async fn confirm_factor(code: String) -> Result<(), AppError> {
    Box::pin(super::server::confirm_factor(code)).await
}

/// Whether the tenant's members must use a second factor; the new rule.
#[server]
pub async fn set_two_factor_rule(required: String) -> Result<bool, AppError> {
    Box::pin(super::server::set_two_factor_rule(required)).await
}

/// Removes a member's factor (a lost phone and lost codes).
#[server]
pub async fn reset_member_two_factor(user_id: String) -> Result<(), AppError> {
    Box::pin(super::server::reset_member_two_factor(user_id)).await
}
