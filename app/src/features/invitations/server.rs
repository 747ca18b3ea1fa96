//! Invitations (managed by the tenant's owners and admins) and the flows a
//! person reaches from an email link: accepting an invitation, resetting a
//! password.

use crate::backend::{fail, parse_id, tenant, tenant_admin, timestamp};
use crate::error::AppError;
use crate::features::invitations::api::{InvitationDto, InvitationOfferDto};
use tenantry::identity::invitations::{self, Invitation};
use tenantry::identity::{password_reset, Actor};

fn dto(i: Invitation) -> InvitationDto {
    InvitationDto {
        id: i.id.to_string(),
        email: i.email,
        role: i.role,
        invited_by: i.invited_by,
        expires_at: timestamp(i.expires_at),
        state: i.state,
    }
}

pub async fn list_invitations() -> Result<Vec<InvitationDto>, AppError> {
    let (ctx, _) = tenant_admin().await?;
    let list = invitations::list(&ctx).await?;
    Ok(list.into_iter().map(dto).collect())
}

pub async fn invite_member(email: String, role: String) -> Result<InvitationDto, AppError> {
    let (ctx, member) = tenant_admin().await?;
    let actor = Actor::of_member(member);
    invitations::invite(&ctx, &actor, &email, &role)
        .await
        .map(dto)
        .map_err(fail)
}

pub async fn resend_invitation(invitation_id: String) -> Result<InvitationDto, AppError> {
    let (ctx, member) = tenant_admin().await?;
    let id = parse_id(&invitation_id)?;
    invitations::resend(&ctx, &Actor::of_member(member), id)
        .await
        .map(dto)
        .map_err(fail)
}

pub async fn revoke_invitation(invitation_id: String) -> Result<InvitationDto, AppError> {
    let (ctx, member) = tenant_admin().await?;
    let id = parse_id(&invitation_id)?;
    invitations::revoke(&ctx, &Actor::of_member(member), id)
        .await
        .map(dto)
        .map_err(fail)
}

pub async fn invitation_offer(token: String) -> Result<InvitationOfferDto, AppError> {
    let ctx = tenant().await?;
    let offer = invitations::pending(&ctx, &token).await?;
    Ok(InvitationOfferDto {
        email: offer.email,
        role: offer.role,
        organisation: offer.organisation,
    })
}

pub async fn accept_invitation(
    token: String,
    display_name: String,
    password: String,
) -> Result<String, AppError> {
    let ctx = tenant().await?;
    let member = invitations::accept(&ctx, &token, &display_name, &password).await?;
    Ok(member.email)
}

pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let client = crate::backend::client_ip().await;
    let ctx = tenant().await?;
    password_reset::request(&ctx, &email, client)
        .await
        .map_err(fail)
}

pub async fn reset_link_valid(token: String) -> Result<(), AppError> {
    let ctx = tenant().await?;
    password_reset::check(&ctx, &token).await.map_err(fail)
}

pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    let ctx = tenant().await?;
    password_reset::complete(&ctx, &token, &password)
        .await
        .map(|_| ())
        .map_err(fail)
}
