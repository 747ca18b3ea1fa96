//! Invitations by email. An owner or admin invites an address with a role;
//! the email carries a single-use link that expires (`invitation_ttl_hours`).
//! Accepting creates the account on that tenant only, with the invited role;
//! resending issues a new link (the old one stops working), revoking ends it.
//! Only a digest of each link's token is stored.

use super::members::{self, ensure_may_manage, Member, NewMember};
use super::{secret_token, Actor, Email, Role};
use crate::audit;
use crate::entities::tenant::invitation as row;
use crate::error::{Error, Result};
use crate::mail::{compose, outbox};
use crate::tenancy::keys::personal::INVITATION_EMAIL;
use crate::tenancy::{TenantCtx, TenantDb};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use tenantry_vocab::InvitationState;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub state: InvitationState,
}

/// What the accept page shows before the invitee commits.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    pub email: String,
    pub role: Role,
    pub organisation: String,
}

/// Invites `email` as `role`, on behalf of `actor`, and queues the email;
/// The link is on the tenant's configured address. An address with a
/// pending invitation gets a fresh one (the old link stops working).
pub async fn invite(ctx: &TenantCtx, actor: &Actor, email: &str, role: &str) -> Result<Invitation> {
    let email = Email::parse("email", email)?;
    let role = Role::parse(role)
        .ok_or_else(|| Error::invalid("role", "must be owner, admin, member or viewer"))?;
    ensure_may_manage(actor.role, None, Some(role))?;
    let db = ctx.read().await?;
    let existing = members::find_by_email(&db, &email).await?;
    let count = members::count(&db).await?;
    db.commit().await?;
    if existing.is_some() {
        return Err(Error::conflict(
            "email",
            "is already a member of this organisation",
        ));
    }
    ctx.check_limit(crate::plans::registry::MAX_MEMBERS, count)
        .await?;
    let saved = ctx
        .run(true, async |db| {
            row::Entity::update_many()
                .col_expr(row::Column::RevokedAt, Expr::value(chrono::Utc::now()))
                .filter(invited_is(db, &email).await?)
                .filter(row::Column::AcceptedAt.is_null())
                .filter(row::Column::RevokedAt.is_null())
                .exec(db)
                .await?;
            issue(db, ctx, actor, &email, role).await
        })
        .await?;
    outbox::note_queued(ctx.engine(), ctx.id()).await?;
    to_invitation(saved)
}

/// Writes a pending invitation of `email` as `role` on `db` (the tenant's
/// own transaction) and its email (the caller notes it once committed,
/// `outbox::note_queued`): what [`invite`] commits, and what
/// a tenant created with an invited owner writes in its first transaction.
pub(crate) async fn issue(
    db: &TenantDb,
    ctx: &TenantCtx,
    actor: &Actor,
    email: &Email,
    role: Role,
) -> Result<row::Model> {
    let token = secret_token::random();
    let now = chrono::Utc::now();
    let personal = db.personal()?;
    let saved = db
        .insert(row::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(personal.seal(&INVITATION_EMAIL, email.as_str()).await?),
            email_index: Set(personal.index(&INVITATION_EMAIL, email.as_str()).await?),
            role: Set(role.as_str().to_owned()),
            token_hash: Set(secret_token::digest(&token)),
            invited_by: Set(actor.label.clone()),
            created_at: Set(now),
            expires_at: Set(now + ttl(ctx)),
            accepted_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        })
        .await?;
    let saved = opened(db, saved).await?;
    outbox::write(db, ctx, letter(ctx, actor, &saved, &token)).await?;
    let detail = format!("{} as {}", saved.email, saved.role);
    audit::record_tenant(db, &actor.label, "invitation.sent", &detail).await?;
    Ok(saved)
}

/// Sends a pending (or expired) invitation again with a new link and expiry.
pub async fn resend(ctx: &TenantCtx, actor: &Actor, id: Uuid) -> Result<Invitation> {
    let found = find(ctx, id).await?;
    if found.accepted_at.is_some() || found.revoked_at.is_some() {
        return Err(Error::invalid(
            "invitation_id",
            "only a pending or expired invitation can be sent again",
        ));
    }
    let role = Role::parse(&found.role).ok_or(Error::NotFound)?;
    ensure_may_manage(actor.role, None, Some(role))?;
    let saved = ctx
        .run(true, async |db| {
            let token = secret_token::random();
            let mut active: row::ActiveModel = found.into();
            active.token_hash = Set(secret_token::digest(&token));
            active.expires_at = Set(chrono::Utc::now() + ttl(ctx));
            let saved = opened(db, active.update(db).await?).await?;
            outbox::enqueue(db, ctx, letter(ctx, actor, &saved, &token)).await?;
            audit::record_tenant(db, &actor.label, "invitation.resent", &saved.email).await?;
            Ok(saved)
        })
        .await?;
    to_invitation(saved)
}

/// Revokes an invitation that was not accepted; its link stops working.
pub async fn revoke(ctx: &TenantCtx, actor: &Actor, id: Uuid) -> Result<Invitation> {
    let found = find(ctx, id).await?;
    let role = Role::parse(&found.role).ok_or(Error::NotFound)?;
    ensure_may_manage(actor.role, None, Some(role))?;
    if found.accepted_at.is_some() {
        return Err(Error::invalid("invitation_id", "was already accepted"));
    }
    let saved = ctx
        .run(true, async |db| {
            let mut active: row::ActiveModel = found.into();
            active.revoked_at = Set(Some(chrono::Utc::now()));
            let saved = opened(db, active.update(db).await?).await?;
            audit::record_tenant(db, &actor.label, "invitation.revoked", &saved.email).await?;
            Ok(saved)
        })
        .await?;
    to_invitation(saved)
}

/// The tenant's invitations, newest first.
pub async fn list(ctx: &TenantCtx) -> Result<Vec<Invitation>> {
    ctx.run(false, async |db| {
        let rows = row::Entity::find()
            .order_by_desc(row::Column::CreatedAt)
            .all(db)
            .await?;
        let mut invitations = Vec::with_capacity(rows.len());
        for r in rows {
            invitations.push(to_invitation(opened(db, r).await?)?);
        }
        Ok(invitations)
    })
    .await
}

/// What a link invites to, while it is usable; `NotFound` otherwise (an
/// unknown, used, revoked or another tenant's token alike), `Invalid` once
/// it has expired.
pub async fn pending(ctx: &TenantCtx, token: &str) -> Result<Pending> {
    let found = usable(ctx, token).await?;
    Ok(Pending {
        email: found.email,
        role: Role::parse(&found.role).ok_or(Error::NotFound)?,
        organisation: ctx.tenant().branding.display_name.clone(),
    })
}

/// Accepts the invitation `token` names: creates the account on this tenant
/// with the invited email and role, and uses the link up.
pub async fn accept(
    ctx: &TenantCtx,
    token: &str,
    display_name: &str,
    password: &str,
) -> Result<Member> {
    let found = usable(ctx, token).await?;
    let new = NewMember::parse(&found.email, display_name, password, &found.role)?;
    // One transaction: the account, the used link, the audit entry and the
    // proof that the address is verified. A second accept of the same link
    // fails on the email's uniqueness, so marking it used cannot race.
    let member = ctx
        .run(true, async |db| {
            ctx.check_limit(
                crate::plans::registry::MAX_MEMBERS,
                members::count(db).await?,
            )
            .await?;
            let member = members::create(db, new).await?;
            row::Entity::update_many()
                .col_expr(row::Column::AcceptedAt, Expr::value(chrono::Utc::now()))
                .filter(row::Column::Id.eq(found.id))
                .exec(db)
                .await?;
            let actor = format!("member:{}", member.email);
            audit::record_tenant(db, &actor, "invitation.accepted", &found.role).await?;
            // The link reached this address: it is verified.
            super::verification::mark_verified(db, &member).await?;
            Ok(member)
        })
        .await?;
    super::switcher::note(ctx, &member.email).await;
    Ok(member)
}

async fn usable(ctx: &TenantCtx, token: &str) -> Result<row::Model> {
    let digest = secret_token::digest(token.trim());
    let found = ctx
        .run(false, async |db| {
            match row::Entity::find()
                .filter(row::Column::TokenHash.eq(digest))
                .one(db)
                .await?
            {
                Some(r) => Ok(Some(opened(db, r).await?)),
                None => Ok(None),
            }
        })
        .await?
        .filter(|r| r.accepted_at.is_none() && r.revoked_at.is_none())
        .ok_or(Error::NotFound)?;
    if found.expires_at <= chrono::Utc::now() {
        return Err(Error::invalid(
            "token",
            "this invitation has expired; ask for a new one",
        ));
    }
    Ok(found)
}

async fn find(ctx: &TenantCtx, id: Uuid) -> Result<row::Model> {
    ctx.run(false, async |db| {
        match row::Entity::find()
            .filter(row::Column::Id.eq(id))
            .one(db)
            .await?
        {
            Some(r) => opened(db, r).await,
            None => Err(Error::NotFound),
        }
    })
    .await
}

/// An invitation as read, its address opened.
async fn opened(db: &TenantDb, mut r: row::Model) -> Result<row::Model> {
    r.email = db.personal()?.open(&INVITATION_EMAIL, &r.email).await?;
    Ok(r)
}

/// The invitations of `email`.
async fn invited_is(db: &TenantDb, email: &Email) -> Result<Condition> {
    let (stored, index) = (row::Column::Email, row::Column::EmailIndex);
    db.personal()?
        .lookup(&INVITATION_EMAIL, stored, index, email.as_str())
        .await
}

fn ttl(ctx: &TenantCtx) -> chrono::Duration {
    chrono::Duration::hours(i64::from(
        ctx.engine().settings().invitation_ttl_hours.max(1),
    ))
}

fn letter(ctx: &TenantCtx, actor: &Actor, invitation: &row::Model, token: &str) -> compose::Letter {
    // The tenant's configured address, never the request's Host header.
    let origin = &ctx.public_origin();
    let branding = &ctx.tenant().branding;
    let inviter = actor
        .member
        .as_ref()
        .map(|m| m.display_name.clone())
        .unwrap_or_else(|| "An administrator".into());
    let link = format!("{}/invite/{token}", origin.trim_end_matches('/'));
    let paragraphs = [
        format!(
            "{inviter} invited you to join {} as {} {}.",
            branding.display_name,
            article(&invitation.role),
            invitation.role
        ),
        format!(
            "The link works once and until {}.",
            invitation.expires_at.format("%Y-%m-%d %H:%M UTC")
        ),
    ];
    compose::branded(
        branding,
        origin,
        &invitation.email,
        &format!("You are invited to {}", branding.display_name),
        &compose::Content {
            heading: &format!("Join {}", branding.display_name),
            paragraphs: &paragraphs,
            action: Some(("Accept the invitation", &link)),
            footer: "Not expecting this? You can ignore this email.",
        },
    )
}

fn article(role: &str) -> &'static str {
    if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn to_invitation(r: row::Model) -> Result<Invitation> {
    let now = chrono::Utc::now();
    let state = match (&r.accepted_at, &r.revoked_at) {
        (Some(_), _) => InvitationState::Accepted,
        (None, Some(_)) => InvitationState::Revoked,
        (None, None) if r.expires_at <= now => InvitationState::Expired,
        (None, None) => InvitationState::Pending,
    };
    Ok(Invitation {
        id: r.id,
        role: Role::parse(&r.role).ok_or_else(|| anyhow::anyhow!("unknown role {:?}", r.role))?,
        email: r.email,
        invited_by: r.invited_by,
        created_at: r.created_at,
        expires_at: r.expires_at,
        state,
    })
}
