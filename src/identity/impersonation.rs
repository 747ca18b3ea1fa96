//! Superadmin impersonation. From the console a superadmin, giving a reason,
//! starts a time-limited session (`impersonation_minutes`, 30 by default) as
//! a tenant user; a single-use link hands it to the tenant's host. Refused for
//! a user whose email is a superadmin's and for an owner who refuses support
//! access. The gateway checks the impersonation on every request (ended or
//! expired: signed out) and writes each request to the tenant's audit log
//! under both identities; the tenant's admins read that log.

use super::{admins, members, secret_token, Email, Role};
use crate::audit;
use crate::entities::tenant::{impersonation as row, support_access_refusal as refusal};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, RequestScope, TenantCtx};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// How long the console's link to the tenant's host stays usable.
const HANDOFF_SECS: i64 = 300;

/// An impersonation just started: the link that opens it on the tenant host.
#[derive(Debug, Clone)]
pub struct Started {
    pub url: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// An impersonation in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    pub id: Uuid,
    pub admin_email: String,
    pub user_email: String,
    pub reason: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl Active {
    /// Both identities, as audit entries name the actor.
    pub fn actor(&self) -> String {
        format!(
            "superadmin:{} as member:{}",
            self.admin_email, self.user_email
        )
    }
}

/// Starts impersonating `email` of `slug` on behalf of the superadmin
/// `admin_email`. `console_origin` is the console's address; the link is on
/// the tenant's host beside it.
pub async fn start(
    engine: &Engine,
    admin_email: &str,
    console_origin: &str,
    slug: &str,
    email: &str,
    reason: &str,
) -> Result<Started> {
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(Error::invalid("reason", "say why (at least 5 characters)"));
    }
    if reason.chars().count() > 500 {
        return Err(Error::invalid("reason", "must be at most 500 characters"));
    }
    let email = Email::parse("email", email)?;
    let Some(RequestScope::Tenant(ctx)) = crate::catalog::resolve::by_slug(engine, slug).await?
    else {
        return Err(Error::NotFound);
    };
    ctx.ensure_active()?;
    let db = ctx.read().await?;
    let member = members::find_by_email(&db, &email).await?;
    db.commit().await?;
    let member =
        member.ok_or_else(|| Error::invalid("email", "is not a member of this organisation"))?;
    if admins::is_superadmin_email(engine, &email).await? {
        return Err(Error::forbidden(
            "impersonation_refused",
            "a superadmin's account cannot be impersonated",
        ));
    }
    if member.role == Role::Owner && refuses_support(&ctx, member.id).await? {
        return Err(Error::forbidden(
            "impersonation_refused",
            "this owner does not allow support access to their account",
        ));
    }
    let token = secret_token::random();
    let now = chrono::Utc::now();
    let minutes = i64::from(engine.settings().impersonation_minutes.max(1));
    let expires_at = now + chrono::Duration::minutes(minutes);
    let actor = format!("superadmin:{admin_email}");
    let detail = format!("as member:{} for {minutes} min: {reason}", member.email);
    ctx.run(true, async |db| {
        db.insert(row::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(member.id),
            user_email: Set(member.email.clone()),
            admin_email: Set(admin_email.to_owned()),
            reason: Set(reason.to_owned()),
            token_hash: Set(secret_token::digest(&token)),
            created_at: Set(now),
            expires_at: Set(expires_at),
            started_at: Set(None),
            ended_at: Set(None),
            ..Default::default()
        })
        .await?;
        audit::record_tenant(db, &actor, "impersonation.started", &detail).await
    })
    .await?;
    // A superadmin's act: the platform's log has it too.
    audit::record(
        engine,
        &actor,
        "impersonation.started",
        Some(ctx.id()),
        &detail,
    )
    .await?;
    Ok(Started {
        url: format!(
            "{}/impersonate/{token}",
            tenant_origin(engine, console_origin, slug)
        ),
        expires_at,
    })
}

/// Uses the handoff link on the tenant's host: the user to sign in and the
/// impersonation the session belongs to. Unknown, used, stale or another
/// tenant's links are not found.
pub async fn redeem(ctx: &TenantCtx, token: &str) -> Result<(Uuid, Uuid)> {
    let now = chrono::Utc::now();
    let digest = secret_token::digest(token.trim());
    ctx.run(true, async |db| {
        let found = row::Entity::find()
            .filter(row::Column::TokenHash.eq(digest))
            .one(db)
            .await?
            .filter(|r| r.started_at.is_none() && r.ended_at.is_none())
            .filter(|r| (now - r.created_at).num_seconds() < HANDOFF_SECS && r.expires_at > now)
            .ok_or(Error::NotFound)?;
        let used = row::Entity::update_many()
            .col_expr(row::Column::StartedAt, Expr::value(now))
            .filter(row::Column::Id.eq(found.id))
            .filter(row::Column::StartedAt.is_null())
            .exec(db)
            .await?;
        if used.rows_affected != 1 {
            return Err(Error::NotFound);
        }
        Ok((found.user_id, found.id))
    })
    .await
}

/// The impersonation `id` of this tenant, while it lasts.
pub async fn active(ctx: &TenantCtx, id: Uuid) -> Result<Option<Active>> {
    let now = chrono::Utc::now();
    let found = ctx
        .run(false, async |db| {
            Ok(row::Entity::find()
                .filter(row::Column::Id.eq(id))
                .one(db)
                .await?)
        })
        .await?;
    Ok(found
        .filter(|r| r.ended_at.is_none() && r.expires_at > now)
        .map(|r| Active {
            id: r.id,
            admin_email: r.admin_email,
            user_email: r.user_email,
            reason: r.reason,
            expires_at: r.expires_at,
        }))
}

/// Ends an impersonation (signing out does this). Written in any state of
/// the tenant: ending a support session is never refused.
pub async fn end(ctx: &TenantCtx, id: Uuid) -> Result<()> {
    let db = ctx.db().await?;
    let res = row::Entity::update_many()
        .col_expr(row::Column::EndedAt, Expr::value(chrono::Utc::now()))
        .filter(row::Column::Id.eq(id))
        .filter(row::Column::EndedAt.is_null())
        .exec(&db)
        .await?;
    let found = match res.rows_affected {
        1 => {
            row::Entity::find()
                .filter(row::Column::Id.eq(id))
                .one(&db)
                .await?
        }
        _ => None,
    };
    if let Some(found) = &found {
        audit::record_tenant(&db, &actor_of(found), "impersonation.ended", "").await?;
    }
    db.commit().await?;
    if let Some(found) = &found {
        audit::record(
            ctx.engine(),
            &actor_of(found),
            "impersonation.ended",
            Some(ctx.id()),
            "",
        )
        .await?;
    }
    Ok(())
}

fn actor_of(found: &row::Model) -> String {
    format!(
        "superadmin:{} as member:{}",
        found.admin_email, found.user_email
    )
}

/// One request made while impersonating, in the tenant's audit log.
pub async fn record_request(
    ctx: &TenantCtx,
    active: &Active,
    method: &str,
    path: &str,
) -> Result<()> {
    // Written in any state: a support session on a suspended tenant is
    // audited too.
    let db = ctx.db().await?;
    let detail = format!("{method} {path}");
    audit::record_tenant(&db, &active.actor(), "impersonation.request", &detail).await?;
    db.commit().await?;
    Ok(())
}

/// Whether this member (an owner) refuses support access.
pub async fn refuses_support(ctx: &TenantCtx, user_id: Uuid) -> Result<bool> {
    ctx.run(false, async |db| {
        Ok(refusal::Entity::find()
            .filter(refusal::Column::UserId.eq(user_id))
            .one(db)
            .await?
            .is_some())
    })
    .await
}

/// An owner refuses (or allows again) support access to their own account.
pub async fn set_refusal(ctx: &TenantCtx, member: &members::Member, refuse: bool) -> Result<()> {
    if member.role != Role::Owner {
        return Err(Error::forbidden(
            "forbidden",
            "only owners can refuse support access",
        ));
    }
    let action = if refuse {
        "support_access.refused"
    } else {
        "support_access.allowed"
    };
    ctx.run(true, async |db| {
        refusal::Entity::delete_many()
            .filter(refusal::Column::UserId.eq(member.id))
            .exec(db)
            .await?;
        if refuse {
            db.insert(refusal::ActiveModel {
                user_id: Set(member.id),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            })
            .await?;
        }
        audit::record_tenant(db, &format!("member:{}", member.email), action, "").await
    })
    .await
}

/// The tenant's address beside the console's (same scheme and port).
fn tenant_origin(engine: &Engine, console_origin: &str, slug: &str) -> String {
    let settings = engine.settings();
    match url::Url::parse(console_origin) {
        Ok(mut url) => {
            if settings.path_prefix_routing {
                let _ = url.set_host(Some(&settings.base_domain));
                return format!("{}/t/{slug}", url.origin().ascii_serialization());
            }
            let _ = url.set_host(Some(&format!("{slug}.{}", settings.base_domain)));
            url.origin().ascii_serialization()
        }
        Err(_) => format!("http://{slug}.{}", settings.base_domain),
    }
}
