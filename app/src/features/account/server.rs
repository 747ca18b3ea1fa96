//! The member's own account (`tenantry::identity::members::{rename,
//! change_password}`, `tenantry::session::{list, revoke, revoke_others}`).

use crate::backend::{client_ip, engine, fail, member_as, parse_id, scope, session, timestamp};
use crate::error::AppError;
use crate::features::account::api::{AccountDto, OrganisationDto, SessionDto};
use tenantry::authz::Need;
use tenantry::identity::members;
use tenantry::Error;

/// The signed-in member and their session's handle.
async fn me() -> Result<
    (
        tenantry::tenancy::TenantCtx,
        members::Member,
        Option<uuid::Uuid>,
    ),
    AppError,
> {
    let (ctx, member) = member_as(Need::Reader).await?;
    let scope = scope().await?;
    let handle = tenantry::session::signed_in(&session().await?, &scope)
        .await
        .map(|s| s.handle);
    Ok((ctx, member, handle))
}

pub async fn my_account() -> Result<AccountDto, AppError> {
    let engine = engine().await?;
    let scope = scope().await?;
    let (ctx, member, handle) = me().await?;
    let sessions = tenantry::session::list(&engine, &scope, member.id, handle).await?;
    let organisations = tenantry::identity::switcher::others(&engine, &ctx, &member.email)
        .await?
        .into_iter()
        .map(|o| OrganisationDto {
            name: o.name,
            url: o.url,
        })
        .collect();
    let shown = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(timestamp).unwrap_or_default();
    Ok(AccountDto {
        email: member.email,
        display_name: member.display_name,
        role: member.role,
        sessions: sessions
            .into_iter()
            .map(|s| SessionDto {
                handle: s.handle.to_string(),
                device: s.device.unwrap_or_else(|| "Unknown device".into()),
                address: s.address.unwrap_or_default(),
                signed_in_at: shown(s.signed_in_at),
                last_used_at: shown(s.last_used_at),
                current: s.current,
            })
            .collect(),
        organisations,
    })
}

pub async fn rename_me(display_name: String) -> Result<String, AppError> {
    let (ctx, member, _) = me().await?;
    let renamed = members::rename(&ctx, &member, &display_name).await?;
    Ok(renamed.display_name)
}

pub async fn change_my_password(
    current_password: String,
    new_password: String,
) -> Result<u64, AppError> {
    let engine = engine().await?;
    let scope = scope().await?;
    let client = client_ip().await;
    let (ctx, member, handle) = me().await?;
    members::change_password(&ctx, &member, &current_password, &new_password, client).await?;
    let handle = handle.ok_or_else(|| fail(Error::Unauthenticated))?;
    Ok(tenantry::session::revoke_others(&engine, &scope, member.id, handle).await?)
}

pub async fn revoke_my_session(handle: String) -> Result<(), AppError> {
    let engine = engine().await?;
    let scope = scope().await?;
    let session = session().await?;
    let target = parse_id(&handle)?;
    let (_, member, current) = me().await?;
    tenantry::session::revoke(&engine, &scope, member.id, target).await?;
    if current == Some(target) {
        // This very session: signed out now, so the layer cannot save it
        // back at the end of the request.
        tenantry::session::sign_out(&session)
            .await
            .map_err(|e| fail(Error::Unexpected(e)))?;
    }
    Ok(())
}

pub async fn change_my_email(new_email: String, current_password: String) -> Result<(), AppError> {
    let client = client_ip().await;
    let (ctx, member, _) = me().await?;
    members::request_email_change(&ctx, &member, &new_email, &current_password, client).await?;
    Ok(())
}

pub async fn confirm_email_change(token: String) -> Result<String, AppError> {
    let ctx = crate::backend::tenant().await?;
    Ok(members::confirm_email_change(&ctx, &token).await?.email)
}
