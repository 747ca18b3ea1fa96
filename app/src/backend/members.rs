use super::{branding_dto, fail, parse_id, tenant_admin};
use crate::dto::{BrandingDto, MemberDto};
use crate::error::AppError;
use tenantry::catalog::branding::{self, BrandingInput};
use tenantry::identity::members::{self, Member, NewMember};

fn member_dto(m: Member) -> MemberDto {
    MemberDto {
        id: m.id.to_string(),
        email: m.email,
        display_name: m.display_name,
        role: m.role.as_str().to_owned(),
    }
}

pub async fn list_members() -> Result<Vec<MemberDto>, AppError> {
    let (ctx, _) = tenant_admin().await?;
    let list = ctx
        .run(false, async |db| members::list(db).await)
        .await
        .map_err(fail)?;
    Ok(list.into_iter().map(member_dto).collect())
}

pub async fn add_member(
    email: String,
    display_name: String,
    password: String,
    role: String,
) -> Result<MemberDto, AppError> {
    let (ctx, actor) = tenant_admin().await?;
    let new = NewMember::parse(&email, &display_name, &password, &role).map_err(fail)?;
    ctx.run(true, async |db| {
        members::add(&ctx, db, actor.role, new).await
    })
    .await
    .map(member_dto)
    .map_err(fail)
}

pub async fn change_role(user_id: String, role: String) -> Result<MemberDto, AppError> {
    let (ctx, actor) = tenant_admin().await?;
    let id = parse_id(&user_id)?;
    ctx.run(true, async |db| {
        members::change_role(db, actor.role, id, &role).await
    })
    .await
    .map(member_dto)
    .map_err(fail)
}

pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    let (ctx, actor) = tenant_admin().await?;
    let id = parse_id(&user_id)?;
    ctx.run(true, async |db| members::remove(db, actor.role, id).await)
        .await
        .map_err(fail)
}

pub async fn save_branding(input: BrandingInput) -> Result<BrandingDto, AppError> {
    let (ctx, who) = tenant_admin().await?;
    let saved = branding::update(&ctx, input, &format!("member:{}", who.email))
        .await
        .map_err(fail)?;
    Ok(branding_dto(&saved))
}
