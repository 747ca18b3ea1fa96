//! What a member changes of their own account: their display name, and
//! their password (the current one asked first, throttled like a sign-in).
//! Ending their other sessions after a password change is the caller's, who
//! knows which session is asking (`crate::session::revoke_others`).

use super::{changed, find, Member};
use crate::audit;
use crate::entities::tenant::user;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::identity::password;
use crate::identity::throttle::{self, ClientIp, Realm};
use crate::tenancy::TenantCtx;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Renames `me`; the name every page and the member list show.
pub async fn rename(ctx: &TenantCtx, me: &Member, display_name: &str) -> Result<Member> {
    let name = display_name.trim();
    if name.is_empty() {
        return Err(Error::invalid("display_name", "enter the name to show"));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid(
            "display_name",
            "must be at most 100 characters",
        ));
    }
    let actor = format!("member:{}", me.email);
    let renamed = ctx
        .run(true, async |db| {
            user::Entity::update_many()
                .col_expr(user::Column::DisplayName, name.into())
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
