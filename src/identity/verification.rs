//! Email verification. A member added with a password by an admin gets a
//! link (`/verify/<token>`, valid for `invitation_ttl_hours`, single use);
//! opening it proves the address. Accepting an invitation and signing in
//! through SSO prove it too (the link reached them; the provider vouches).
//! Admins see who is verified and can send the link again.

use super::{members::Member, secret_token};
use crate::entities::tenant::email_verification as row;
use crate::error::{Error, Result};
use crate::mail::{compose, outbox};
use crate::tenancy::{TenantCtx, TenantDb};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashSet;
use uuid::Uuid;

/// Queues a verification link to `member`'s address.
pub async fn send(ctx: &TenantCtx, member: &Member) -> Result<()> {
    // The tenant's configured address, never the request's Host header.
    let origin = &ctx.public_origin();
    let token = secret_token::random();
    let now = chrono::Utc::now();
    let hours = i64::from(ctx.engine().settings().invitation_ttl_hours.max(1));
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
    let digest = secret_token::digest(&token);
    let expires = now + chrono::Duration::hours(hours);
    ctx.run(true, async |db| {
        insert(db, member, &digest, expires, None).await?;
        outbox::enqueue(db, ctx, letter).await?;
        Ok(())
    })
    .await
}

/// Records `member`'s address as verified without a link (an accepted
/// invitation, a provider's word), in `db`.
pub async fn mark_verified(db: &TenantDb, member: &Member) -> Result<()> {
    if verified_in(db, std::slice::from_ref(member))
        .await?
        .contains(&member.id)
    {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let proof = secret_token::digest(&secret_token::random());
    insert(db, member, &proof, now, Some(now)).await
}

/// Uses a link of this tenant; the address it verified.
pub async fn verify(ctx: &TenantCtx, token: &str) -> Result<String> {
    let now = chrono::Utc::now();
    let digest = secret_token::digest(token.trim());
    ctx.run(true, async |db| {
        let found = row::Entity::find()
            .filter(row::Column::TokenHash.eq(digest))
            .one(db)
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
            .exec(db)
            .await?;
        if used.rows_affected != 1 {
            return Err(Error::NotFound);
        }
        Ok(found.email)
    })
    .await
}

/// The members whose current address is verified.
pub async fn verified(ctx: &TenantCtx, members: &[Member]) -> Result<HashSet<Uuid>> {
    ctx.run(false, async |db| verified_in(db, members).await)
        .await
}

async fn verified_in(db: &TenantDb, members: &[Member]) -> Result<HashSet<Uuid>> {
    let proofs = row::Entity::find()
        .filter(row::Column::UsedAt.is_not_null())
        .all(db)
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
    db: &TenantDb,
    member: &Member,
    token_hash: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
    used_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    db.insert(row::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        user_id: Set(member.id),
        email: Set(member.email.clone()),
        created_at: Set(chrono::Utc::now()),
        expires_at: Set(expires_at),
        used_at: Set(used_at),
        ..Default::default()
    })
    .await?;
    Ok(())
}
