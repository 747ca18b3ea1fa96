//! Email verification. A member added with a password by an admin gets a
//! link (`/verify/<token>`, valid for `invitation_ttl_hours`, single use);
//! opening it proves the address. Accepting an invitation and signing in
//! through SSO prove it too (the link reached them; the provider vouches).
//! Admins see who is verified and can send the link again.

use super::{members::Member, secret_token};
use crate::entities::tenant::email_verification as row;
use crate::error::{Error, Result};
use crate::mail::{compose, outbox, Letter};
use crate::tenancy::{TenantCtx, TenantDb};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashSet;
use uuid::Uuid;

/// Queues a verification link to `member`'s address.
pub async fn send(ctx: &TenantCtx, member: &Member) -> Result<()> {
    let (token, letter) = letter(ctx, member, Link::Verify);
    let hours = ctx.engine().settings().invitation_ttl_hours;
    ctx.run(true, async |db| {
        insert_link(db, member, &token, hours).await?;
        outbox::enqueue(db, ctx, letter).await?;
        Ok(())
    })
    .await
}

/// Writes a signup's confirmation link to its owner, in `db` (the
/// transaction creating the tenant, which wakes the mail runner once it has
/// committed). Opening it confirms the address and opens the tenant
/// (`lifecycle::signup::confirm`).
pub(crate) async fn write_signup_confirmation(
    db: &TenantDb,
    ctx: &TenantCtx,
    member: &Member,
) -> Result<()> {
    let (token, letter) = letter(ctx, member, Link::ConfirmSignup);
    // As long as the pending tenant waits for it.
    let hours = ctx.engine().settings().signup.confirm_hours;
    insert_link(db, member, &token, hours).await?;
    outbox::write(db, ctx, letter).await?;
    Ok(())
}

/// Queues a link to `new`, the address `member` asked to change to: using
/// it (`members::confirm_email_change`) makes it theirs. Their current
/// address is told, so a change they did not ask for does not go unseen.
pub async fn send_email_change(ctx: &TenantCtx, member: &Member, new: &str) -> Result<()> {
    let to_new = Member {
        email: new.to_owned(),
        ..member.clone()
    };
    let (token, letter) = letter(ctx, &to_new, Link::ChangeEmail);
    let notice = email_change_notice(ctx, member, new);
    let hours = ctx.engine().settings().invitation_ttl_hours;
    ctx.run(true, async |db| {
        insert_link(db, &to_new, &token, hours).await?;
        outbox::enqueue(db, ctx, letter).await?;
        outbox::enqueue(db, ctx, notice).await?;
        Ok(())
    })
    .await
}

fn email_change_notice(ctx: &TenantCtx, member: &Member, new: &str) -> Letter {
    let origin = &ctx.public_origin();
    let branding = &ctx.tenant().branding;
    let name = &branding.display_name;
    compose::branded(
        branding,
        origin,
        &member.email,
        &format!("Your email for {name} is about to change"),
        &compose::Content {
            heading: "A change of address was asked for",
            paragraphs: &[format!(
                "Someone signed in as you on {name} asked to change your address to {new}. It changes only when the link sent there is used."
            )],
            action: None,
            footer: "Not you? Sign in and change your password.",
        },
    )
}

/// Where a verification link leads.
#[derive(Clone, Copy)]
enum Link {
    /// `/verify/<token>`: an address proved.
    Verify,
    /// `/signup/confirm/<token>`: an address proved and the tenant opened.
    ConfirmSignup,
    /// `/account/email/<token>`: a new address proved and made the member's.
    ChangeEmail,
}

/// A fresh token and the letter carrying its link.
fn letter(ctx: &TenantCtx, member: &Member, link: Link) -> (String, Letter) {
    // The tenant's configured address, never the request's Host header.
    let origin = &ctx.public_origin();
    let token = secret_token::random();
    let branding = &ctx.tenant().branding;
    let name = &branding.display_name;
    let (path, subject, heading, paragraph, action) = match link {
        Link::Verify => (
            "verify",
            format!("Confirm your email for {name}"),
            "Confirm your email address",
            format!("Confirm that {} is your address on {name}.", member.email),
            "Confirm my address",
        ),
        Link::ConfirmSignup => (
            "signup/confirm",
            format!("Confirm your email to open {name}"),
            "One step left",
            format!(
                "Confirm that {} is your address, and {name} opens with you signed in as its owner.",
                member.email
            ),
            "Confirm and open",
        ),
        Link::ChangeEmail => (
            "account/email",
            format!("Confirm your new email for {name}"),
            "Confirm your new address",
            format!(
                "Confirm that {} is your new address on {name}. Until you do, you sign in with your current one.",
                member.email
            ),
            "Use this address",
        ),
    };
    let url = format!("{}/{path}/{token}", origin.trim_end_matches('/'));
    let letter = compose::branded(
        branding,
        origin,
        &member.email,
        &subject,
        &compose::Content {
            heading,
            paragraphs: &[paragraph],
            action: Some((action, &url)),
            footer: "The link works once. Not you? Ignore this email.",
        },
    );
    (token, letter)
}

async fn insert_link(db: &TenantDb, member: &Member, token: &str, hours: u32) -> Result<()> {
    let hours = i64::from(hours.max(1));
    let expires = chrono::Utc::now() + chrono::Duration::hours(hours);
    insert(db, member, &secret_token::digest(token), expires, None).await
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
    ctx.run(true, async |db| Ok(use_link(db, token).await?.email))
        .await
}

/// Uses a link in `db`: the member it was sent to and the address it
/// proves. A used, unknown or expired link is refused.
pub(crate) async fn use_link(db: &TenantDb, token: &str) -> Result<row::Model> {
    let now = chrono::Utc::now();
    let digest = secret_token::digest(token.trim());
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
    Ok(found)
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
