use crate::backend::{branding_dto, fail, parse_id, tenant_admin};
use crate::dto::BrandingDto;
use crate::error::AppError;
use crate::features::members::api::MemberDto;
use tenantry::branding::{self, BrandingInput};
use tenantry::identity::members::{self, Member, NewMember};
use tenantry::identity::{verification, Actor};

fn member_dto(m: Member, verified: bool) -> MemberDto {
    MemberDto {
        id: m.id.to_string(),
        email: m.email,
        display_name: m.display_name,
        role: m.role,
        verified,
        two_factor: false,
    }
}

pub async fn list_members() -> Result<Vec<MemberDto>, AppError> {
    let (ctx, _) = tenant_admin().await?;
    let list = ctx.run(false, async |db| members::list(db).await).await?;
    let verified = verification::verified(&ctx, &list).await?;
    let with_factor = tenantry::identity::two_factor::members::enrolled(&ctx).await?;
    Ok(list
        .into_iter()
        .map(|m| {
            let ok = verified.contains(&m.id);
            let two_factor = with_factor.contains(&m.id);
            MemberDto {
                two_factor,
                ..member_dto(m, ok)
            }
        })
        .collect())
}

/// Sends a member a (new) link to verify their address.
pub async fn send_verification(user_id: String) -> Result<(), AppError> {
    let (ctx, _) = tenant_admin().await?;
    let id = parse_id(&user_id)?;
    let member = ctx
        .run(false, async |db| members::find(db, id).await)
        .await?
        .ok_or_else(|| fail(tenantry::Error::NotFound))?;
    verification::send(&ctx, &member).await.map_err(fail)
}

/// Uses a verification link (signed out); the address it verified.
pub async fn verify_email(token: String) -> Result<String, AppError> {
    let ctx = crate::backend::tenant().await?;
    verification::verify(&ctx, &token).await.map_err(fail)
}

pub async fn add_member(
    email: String,
    display_name: String,
    password: String,
    role: String,
) -> Result<MemberDto, AppError> {
    let (ctx, actor) = tenant_admin().await?;
    let new = NewMember::parse(&email, &display_name, &password, &role)?;
    let member = ctx
        .run(true, async |db| {
            members::add(&ctx, db, &Actor::of_member(actor.clone()), new).await
        })
        .await?;
    tenantry::identity::switcher::note(&ctx, &member.email).await;
    // An admin typed this address: its owner confirms it.
    verification::send(&ctx, &member).await?;
    Ok(member_dto(member, false))
}

pub async fn change_role(user_id: String, role: String) -> Result<MemberDto, AppError> {
    let (ctx, actor) = tenant_admin().await?;
    let id = parse_id(&user_id)?;
    let member = members::change_role(&ctx, &Actor::of_member(actor), id, &role).await?;
    let verified = verification::verified(&ctx, std::slice::from_ref(&member))
        .await?
        .contains(&member.id);
    Ok(member_dto(member, verified))
}

pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    let (ctx, actor) = tenant_admin().await?;
    let id = parse_id(&user_id)?;
    members::remove(&ctx, &Actor::of_member(actor), id)
        .await
        .map_err(fail)
}

pub async fn save_branding(input: BrandingInput) -> Result<BrandingDto, AppError> {
    let (ctx, who) = tenant_admin().await?;
    let saved = branding::update(&ctx, input, &format!("member:{}", who.email)).await?;
    Ok(branding_dto(&saved))
}
