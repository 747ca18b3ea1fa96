//! Email verification. A member added with a password by an admin gets a
//! link (`/verify/<token>`, valid for `invitation_ttl_hours`, single use);
//! opening it proves the address. Accepting an invitation and signing in
//! through SSO prove it too (the link reached them; the provider vouches).
//! Admins see who is verified and can send the link again.

use super::{members::Member, secret_token};
use crate::entities::catalog::email_verification as row;
use crate::error::{Error, Result};
use crate::mail::{compose, outbox};
use crate::tenancy::TenantCtx;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::collections::HashSet;
use uuid::Uuid;

/// Queues a verification link to `member`'s address.
pub async fn send(ctx: &TenantCtx, origin: &str, member: &Member) -> Result<()> {
    let token = secret_token::random();
    let now = chrono::Utc::now();
    let hours = i64::from(ctx.engine().settings().invitation_ttl_hours.max(1));
    let txn = ctx.engine().catalog().begin().await?;
    insert(
        &txn,
        ctx,
        member,
        &secret_token::digest(&token),
        now + chrono::Duration::hours(hours),
        None,
    )
    .await?;
    let branding = &ctx.tenant().branding;
    let link = format!("{}/verify/{token}", origin.trim_end_matches('/'));
    let paragraphs = [format!(
        "Confirm that {} is your address on {}.",
        member.email, branding.display_name
    )];
    let letter = compose::branded(
        branding,
        origin,
        &member.email,
        &format!("Confirm your email for {}", branding.display_name),
        &compose::Content {
            heading: "Confirm your email address",
            paragraphs: &paragraphs,
            action: Some(("Confirm my address", &link)),
            footer: "The link works once. Not you? Ignore this email.",
        },
    );
    outbox::enqueue(&txn, ctx.engine(), Some(ctx.id()), letter).await?;
    txn.commit().await?;
    Ok(())
}

/// Records `member`'s address as verified without a link (an accepted
/// invitation, a provider's word).
pub async fn mark_verified(ctx: &TenantCtx, member: &Member) -> Result<()> {
    if verified(ctx, std::slice::from_ref(member))
        .await?
        .contains(&member.id)
    {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let proof = secret_token::digest(&secret_token::random());
    insert(ctx.engine().catalog(), ctx, member, &proof, now, Some(now)).await
}

/// Uses a link of this tenant; the address it verified.
pub async fn verify(ctx: &TenantCtx, token: &str) -> Result<String> {
    let now = chrono::Utc::now();
    let found = row::Entity::find_by_id(secret_token::digest(token.trim()))
        .filter(row::Column::Tenant.eq(ctx.id().uuid()))
        .one(ctx.engine().catalog())
        .await?
        .filter(|r| r.used_at.is_none())
        .ok_or(Error::NotFound)?;
    if found.expires_at <= now {
        return Err(Error::invalid(
            "token",
            "this link has expired; ask for a new one",
        ));
    }
    let used = row::Entity::update_many()
        .col_expr(row::Column::UsedAt, Expr::value(now))
        .filter(row::Column::TokenHash.eq(found.token_hash.clone()))
        .filter(row::Column::UsedAt.is_null())
        .exec(ctx.engine().catalog())
        .await?;
    if used.rows_affected != 1 {
        return Err(Error::NotFound);
    }
    Ok(found.email)
}

/// The members whose current address is verified.
pub async fn verified(ctx: &TenantCtx, members: &[Member]) -> Result<HashSet<Uuid>> {
    let proofs = row::Entity::find()
        .filter(row::Column::Tenant.eq(ctx.id().uuid()))
        .filter(row::Column::UsedAt.is_not_null())
        .all(ctx.engine().catalog())
        .await?;
    Ok(members
        .iter()
        .filter(|m| {
            proofs
                .iter()
                .any(|p| p.user_id == m.id && p.email == m.email)
        })
        .map(|m| m.id)
        .collect())
}

async fn insert(
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &TenantCtx,
    member: &Member,
    token_hash: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
    used_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    row::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        tenant: Set(ctx.id().uuid()),
        user_id: Set(member.id),
        email: Set(member.email.clone()),
        created_at: Set(chrono::Utc::now()),
        expires_at: Set(expires_at),
        used_at: Set(used_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}
