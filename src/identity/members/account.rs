//! What a member changes of their own account: their display name, their
//! password and their address (the current password asked first, throttled
//! like a sign-in; a new address proved by a link sent to it).
//! Ending their other sessions after a password change is the caller's, who
//! knows which session is asking (`crate::session::revoke_others`).

use super::{changed, find, find_by_email, user_by_email, Member};
use crate::audit;
use crate::entities::tenant::user;
use crate::error::{violated_unique_constraint, Error, Result};
use crate::events::relay::{self, Raised};
use crate::identity::throttle::{self, ClientIp, Realm};
use crate::identity::{password, Email};
use crate::tenancy::keys::personal::{USER_EMAIL, USER_NAME};
use crate::tenancy::TenantCtx;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Renames `me`; the name every page and the member list show.
pub async fn rename(ctx: &TenantCtx, me: &Member, display_name: &str) -> Result<Member> {
    let name = display_name.trim();
    if name.is_empty() {
        return Err(Error::invalid("display_name", "enter the name to show"));
    }
    super::check_display_name(name)?;
    let actor = format!("member:{}", me.email);
    let renamed = ctx
        .run(true, async |db| {
            let stored = db.personal()?.seal(&USER_NAME, name).await?;
            user::Entity::update_many()
                .col_expr(user::Column::DisplayName, stored.into())
                .filter(user::Column::Id.eq(me.id))
                .exec(db)
                .await?;
            audit::record_tenant(db, &actor, "member.renamed", &me.email).await?;
            relay::raise(db, Raised::record_changed(&actor)).await?;
            find(db, me.id).await?.ok_or(Error::NotFound)
        })
        .await?;
    changed(ctx).await;
    Ok(renamed)
}

/// Changes `me`'s password once `current` is right. A wrong `current` counts
/// as a failed sign-in of the account (so a stolen session cannot guess its
/// way to the password) and writes nothing.
pub async fn change_password(
    ctx: &TenantCtx,
    me: &Member,
    current: &str,
    new: &str,
    client: ClientIp,
) -> Result<()> {
    password::check_policy("new_password", new)?;
    check_current_password(ctx, me, current, client).await?;
    let hash = password::hash_blocking(new.to_owned()).await?;
    let actor = format!("member:{}", me.email);
    ctx.run(true, async |db| {
        let res = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, hash.into())
            .filter(user::Column::Id.eq(me.id))
            .exec(db)
            .await?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound);
        }
        audit::record_tenant(db, &actor, "member.password_changed", &me.email).await
    })
    .await
}

/// Refuses unless `current` is `me`'s password; a wrong one counts as a
/// failed sign-in of the account (so a stolen session cannot guess its way
/// to the password).
async fn check_current_password(
    ctx: &TenantCtx,
    me: &Member,
    current: &str,
    client: ClientIp,
) -> Result<()> {
    let attempt = throttle::begin(ctx.engine(), Realm::Tenant(ctx), &me.email, client).await?;
    let stored = ctx
        .run(false, async |db| {
            Ok(user::Entity::find()
                .filter(user::Column::Id.eq(me.id))
                .one(db)
                .await?
                .map(|u| u.password_hash))
        })
        .await?;
    if !password::verify_blocking(current.to_owned(), stored).await {
        attempt.failed().await;
        return Err(Error::invalid(
            "current_password",
            "this is not your current password",
        ));
    }
    Ok(())
}

/// Asks to change `me`'s address to `new_email`: once the current password
/// is right and no other member has it, a link goes to the new address
/// (and a notice to the current one). Nothing changes until it is used.
pub async fn request_email_change(
    ctx: &TenantCtx,
    me: &Member,
    new_email: &str,
    current: &str,
    client: ClientIp,
) -> Result<()> {
    let new = Email::parse("new_email", new_email)?;
    if new.as_str() == me.email {
        return Err(Error::invalid("new_email", "this is your address already"));
    }
    check_current_password(ctx, me, current, client).await?;
    let taken = ctx
        .run(false, async |db| find_by_email(db, &new).await)
        .await?
        .is_some();
    if taken {
        return Err(Error::conflict(
            "new_email",
            "another member of this organisation has this address",
        ));
    }
    crate::identity::verification::send_email_change(ctx, me, new.as_str()).await
}

/// Uses a change-of-address link: the member's address becomes the one it
/// was sent to (proved by the link reaching it). Returns the member as they
/// are now. Another kind of link, or one used already, is not found.
pub async fn confirm_email_change(ctx: &TenantCtx, token: &str) -> Result<Member> {
    let (before, after) = ctx
        .run(true, async |db| {
            let link = crate::identity::verification::use_link(db, token).await?;
            let member = find(db, link.user_id).await?.ok_or(Error::NotFound)?;
            if link.email == member.email {
                // A plain verification link: nothing to change here.
                return Err(Error::NotFound);
            }
            let personal = db.personal()?;
            let new = Email::parse("new_email", &link.email)?;
            if user_by_email(db, &new).await?.is_some() {
                return Err(taken_now());
            }
            user::Entity::update_many()
                .col_expr(
                    user::Column::Email,
                    personal.seal(&USER_EMAIL, new.as_str()).await?.into(),
                )
                .col_expr(
                    user::Column::EmailIndex,
                    personal.index(&USER_EMAIL, new.as_str()).await?.into(),
                )
                .filter(user::Column::Id.eq(member.id))
                .exec(db)
                .await
                .map_err(|e| match violated_unique_constraint(&e).as_deref() {
                    Some("users_email_key" | "users_email_index_key") => taken_now(),
                    _ => e.into(),
                })?;
            let actor = format!("member:{}", member.email);
            let detail = format!("{} -> {}", member.email, link.email);
            audit::record_tenant(db, &actor, "member.email_changed", &detail).await?;
            relay::raise(db, Raised::record_changed(&actor)).await?;
            let after = find(db, member.id).await?.ok_or(Error::NotFound)?;
            Ok((member.email, after))
        })
        .await?;
    changed(ctx).await;
    crate::identity::switcher::forget(ctx, &before).await?;
    crate::identity::switcher::note(ctx, &after.email).await;
    Ok(after)
}

fn taken_now() -> Error {
    Error::conflict(
        "new_email",
        "another member of this organisation has this address now",
    )
}
