//! Invitations and the links sent by email (accept, reset password, verify): the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::{InvitationState, Role};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("invitation_offer", Need::Anyone),
    ("accept_invitation", Need::Anyone),
    ("request_password_reset", Need::Anyone),
    ("reset_link_valid", Need::Anyone),
    ("reset_password", Need::Anyone),
    ("list_invitations", Need::Admin),
    ("invite_member", Need::Admin),
    ("resend_invitation", Need::Admin),
    ("revoke_invitation", Need::Admin),
];

/// An invitation as the tenant's admins see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationDto {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: String,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub state: InvitationState,
}
/// What an invitation link offers, shown before it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationOfferDto {
    pub email: String,
    pub role: Role,
    pub organisation: String,
}

#[server]
pub async fn list_invitations() -> Result<Vec<InvitationDto>, AppError> {
    Box::pin(super::server::list_invitations()).await
}

#[server]
pub async fn invite_member(email: String, role: String) -> Result<InvitationDto, AppError> {
    Box::pin(super::server::invite_member(email, role)).await
}

#[server]
pub async fn resend_invitation(invitation_id: String) -> Result<InvitationDto, AppError> {
    Box::pin(super::server::resend_invitation(invitation_id)).await
}

#[server]
pub async fn revoke_invitation(invitation_id: String) -> Result<InvitationDto, AppError> {
    Box::pin(super::server::revoke_invitation(invitation_id)).await
}

#[server]
pub async fn invitation_offer(token: String) -> Result<InvitationOfferDto, AppError> {
    Box::pin(super::server::invitation_offer(token)).await
}

/// Creates the invited account; returns its email (to sign in with).
#[server]
pub async fn accept_invitation(
    token: String,
    display_name: String,
    password: String,
) -> Result<String, AppError> {
    Box::pin(super::server::accept_invitation(
        token,
        display_name,
        password,
    ))
    .await
}

#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    Box::pin(super::server::request_password_reset(email)).await
}

#[server]
pub async fn reset_link_valid(token: String) -> Result<(), AppError> {
    Box::pin(super::server::reset_link_valid(token)).await
}

#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    Box::pin(super::server::reset_password(token, password)).await
}
