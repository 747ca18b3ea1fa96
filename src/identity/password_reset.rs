//! Password reset by email. Asking always gets the same answer, whether or
//! not the account exists; an existing account gets a single-use link that
//! expires (`password_reset_ttl_minutes`). Setting the new password through
//! it uses the link up and ends every session the person had on the tenant.

use super::{members, password, secret_token, throttle::ClientIp, Email};
use crate::cache::CacheKey;
use crate::entities::tenant::password_reset as row;
use crate::error::{Error, Result};
use crate::mail::{compose, outbox};
use crate::ratelimit::Rate;
use crate::tenancy::{RequestScope, TenantCtx};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::Duration;

/// Reset emails one address can trigger per hour (a mailbox is not flooded).
const EMAILS_PER_HOUR: u32 = 3;

/// Queues a reset link for `email` if it is a member of this tenant. Answers
/// `Ok` either way; only a malformed address is an error.
pub async fn request(ctx: &TenantCtx, email: &str, client: ClientIp) -> Result<()> {
    // The tenant's configured address, never the request's Host header.
    let origin = &ctx.public_origin();
    ctx.ensure_active()?;
    let email = Email::parse("email", email)?;
    let limiter = ctx.engine().rate_limiter();
    let per_address = Rate::per_period(EMAILS_PER_HOUR, Duration::from_secs(3600), EMAILS_PER_HOUR);
    let key = CacheKey::tenant(ctx, "reset.address", email.as_str());
    if !limiter.check(&key, per_address).await.allowed {
        tracing::info!("password reset for one address throttled");
        return Ok(());
    }
    if let ClientIp(Some(ip)) = client {
        let per_ip = Rate::per_period(30, Duration::from_secs(3600), 30);
        if !limiter
            .check(&CacheKey::platform("reset.ip", ip), per_ip)
            .await
            .allowed
        {
            return Err(Error::TooManyAttempts {
                retry_after_secs: 600,
            });
        }
    }
    let db = ctx.read().await?;
    let member = members::find_by_email(&db, &email).await?;
    db.commit().await?;
    let Some(member) = member else {
        return Ok(());
    };
    let token = secret_token::random();
    let now = chrono::Utc::now();
    let ttl = ctx.engine().settings().password_reset_ttl_minutes.max(1);
    let expires = now + chrono::Duration::minutes(i64::from(ttl));
    let branding = &ctx.tenant().branding;
    let link = format!("{}/reset/{token}", origin.trim_end_matches('/'));
    let paragraphs = [
        format!(
            "Someone asked to reset the password of {} on {}.",
            member.email, branding.display_name
        ),
        format!("The link works once and for {ttl} minutes. Every device signed in to this account will be signed out."),
    ];
    let letter = compose::branded(
        branding,
        origin,
        &member.email,
        &format!("Reset your {} password", branding.display_name),
        &compose::Content {
            heading: "Reset your password",
            paragraphs: &paragraphs,
            action: Some(("Choose a new password", &link)),
            footer: "Did not ask for this? Ignore this email; your password stays as it is.",
        },
    );
    let digest = secret_token::digest(&token);
    ctx.run(true, async |db| {
        db.insert(row::ActiveModel {
            token_hash: Set(digest),
            user_id: Set(member.id),
            created_at: Set(now),
            expires_at: Set(expires),
            used_at: Set(None),
            ..Default::default()
        })
        .await?;
        outbox::enqueue(db, ctx, letter).await?;
        Ok(())
    })
    .await
}

/// Whether `token` is a usable reset link of this tenant (for the page).
pub async fn check(ctx: &TenantCtx, token: &str) -> Result<()> {
    usable(ctx, token).await.map(|_| ())
}

/// Sets the new password through the link, uses it up and ends every
/// session of that person on this tenant. Returns how many were ended.
pub async fn complete(ctx: &TenantCtx, token: &str, new_password: &str) -> Result<u64> {
    password::check_policy("password", new_password)?;
    let found = usable(ctx, token).await?;
    let password = new_password.to_owned();
    // The link is used up in the same transaction as the new password: of
    // two concurrent submissions only one passes.
    ctx.run(true, async |db| {
        let used = row::Entity::update_many()
            .col_expr(row::Column::UsedAt, Expr::value(chrono::Utc::now()))
            .filter(row::Column::TokenHash.eq(found.token_hash.clone()))
            .filter(row::Column::UsedAt.is_null())
            .exec(db)
            .await?;
        if used.rows_affected != 1 {
            return Err(Error::NotFound);
        }
        members::set_password(db, found.user_id, password).await
    })
    .await?;
    let scope = RequestScope::Tenant(ctx.clone());
    let ended = crate::session::revoke_all(ctx.engine(), &scope, found.user_id).await?;
    ctx.run(true, async |db| {
        crate::audit::record_tenant(
            db,
            &format!("user:{}", found.user_id),
            "password.reset",
            &format!("{ended} session(s) ended"),
        )
        .await
    })
    .await?;
    Ok(ended)
}

async fn usable(ctx: &TenantCtx, token: &str) -> Result<row::Model> {
    let digest = secret_token::digest(token.trim());
    let found = ctx
        .run(false, async |db| {
            Ok(row::Entity::find()
                .filter(row::Column::TokenHash.eq(digest))
                .one(db)
                .await?)
        })
        .await?
        .filter(|r| r.used_at.is_none())
        .ok_or(Error::NotFound)?;
    if found.expires_at <= chrono::Utc::now() {
        return Err(Error::invalid(
            "token",
            "this link has expired; ask for a new one",
        ));
    }
    Ok(found)
}
