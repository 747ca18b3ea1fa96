//! The member's own account: the server functions (each body one call into
//! `server.rs`) and what they carry.

use crate::dto::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs (see `backend::needs`): any member
/// manages their own account, viewers included.
pub const NEEDS: &[(&str, Need)] = &[
    ("my_account", Need::Reader),
    ("rename_me", Need::Reader),
    ("change_my_password", Need::Reader),
    ("revoke_my_session", Need::Reader),
    ("change_my_email", Need::Reader),
    // The link is the proof: it may be opened signed out.
    ("confirm_email_change", Need::Anyone),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDto {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub sessions: Vec<SessionDto>,
    /// The other organisations the same address belongs to (the switcher).
    #[serde(default)]
    pub organisations: Vec<OrganisationDto>,
}

/// Another organisation of the member's address, and where to sign in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationDto {
    pub name: String,
    pub url: String,
}

/// One of the member's sessions on this tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDto {
    /// What revoking names.
    pub handle: String,
    pub device: String,
    pub address: String,
    pub signed_in_at: String,
    pub last_used_at: String,
    /// The session this page is seen in.
    pub current: bool,
}

#[server]
pub async fn my_account() -> Result<AccountDto, AppError> {
    Box::pin(super::server::my_account()).await
}

/// The new name.
#[server]
pub async fn rename_me(display_name: String) -> Result<String, AppError> {
    Box::pin(super::server::rename_me(display_name)).await
}

/// Changes the password and ends every other session; how many ended.
#[server]
pub async fn change_my_password(
    current_password: String,
    new_password: String,
) -> Result<u64, AppError> {
    Box::pin(super::server::change_my_password(
        current_password,
        new_password,
    ))
    .await
}

#[server]
pub async fn revoke_my_session(handle: String) -> Result<(), AppError> {
    Box::pin(super::server::revoke_my_session(handle)).await
}

/// Sends a link to `new_email`; the address changes once it is used.
#[server]
pub async fn change_my_email(new_email: String, current_password: String) -> Result<(), AppError> {
    Box::pin(super::server::change_my_email(new_email, current_password)).await
}

/// Uses a change-of-address link; the address now in use.
#[server]
pub async fn confirm_email_change(token: String) -> Result<String, AppError> {
    Box::pin(super::server::confirm_email_change(token)).await
}
