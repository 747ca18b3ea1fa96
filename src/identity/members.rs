//! Tenant users and their memberships. Every function works on a `TenantDb`,
//! so it only ever sees the bound tenant's people.
//!
//! About 450 lines: every operation on a member with the rules that guard
//! them (who may manage whom, another owner must remain), which must be read
//! together.

mod account;
mod known;

pub use account::{change_password, confirm_email_change, rename, request_email_change};
pub use known::Known;

use super::{password, Actor, Email, Role};
use crate::audit;
use crate::entities::tenant::{membership, user};
use crate::error::{violated_unique_constraint, Error, Result};
use crate::events::relay::{self, Raised};
use crate::tenancy::keys::personal::{USER_EMAIL, USER_NAME};
use crate::tenancy::{TenantCtx, TenantDb};
use known::KnownMembers;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A new member, validated.
pub struct NewMember {
    pub email: Email,
    pub display_name: String,
    pub password: String,
    pub role: Role,
}

impl NewMember {
    /// Validates raw input, naming the first field that is wrong.
    pub fn parse(email: &str, display_name: &str, password: &str, role: &str) -> Result<Self> {
        let email = Email::parse("email", email)?;
        let display_name = display_name.trim();
        check_display_name(display_name)?;
        password::check_policy("password", password)?;
        let role = Role::parse(role)
            .ok_or_else(|| Error::invalid("role", "must be owner, admin, member or viewer"))?;
        let display_name = if display_name.is_empty() {
            let local = email.as_str().split('@').next().unwrap_or_default();
            check_display_name(local)?;
            local.to_owned()
        } else {
            display_name.to_owned()
        };
        Ok(Self {
            email,
            display_name,
            password: password.to_owned(),
            role,
        })
    }
}

/// A display name as it may be stored: at most 100 characters, and never
/// a text that reads as a sealed value (it would be taken for one).
pub(crate) fn check_display_name(name: &str) -> Result<()> {
    if name.chars().count() > 100 {
        return Err(Error::invalid(
            "display_name",
            "must be at most 100 characters",
        ));
    }
    if crate::tenancy::keys::is_sealed_text(name) {
        return Err(Error::invalid(
            "display_name",
            "is not a name: it reads as an encrypted value",
        ));
    }
    Ok(())
}

/// A new member whose password is hashed already: what is written inside a
/// transaction (a hash costs tens of milliseconds of CPU, too long to hold a
/// connection and its locks for).
pub struct HashedMember {
    email: Email,
    display_name: String,
    password_hash: String,
    role: Role,
}

impl NewMember {
    /// Hashes the password, on a blocking thread.
    pub async fn hashed(self) -> Result<HashedMember> {
        Ok(HashedMember {
            password_hash: password::hash_blocking(self.password).await?,
            email: self.email,
            display_name: self.display_name,
            role: self.role,
        })
    }
}

/// Creates a user with a membership in the bound tenant.
pub async fn create(db: &TenantDb, new: NewMember) -> Result<Member> {
    insert(db, new.hashed().await?).await
}

/// [`create`], with the password hashed beforehand.
pub async fn insert(db: &TenantDb, new: HashedMember) -> Result<Member> {
    let hash = new.password_hash;
    let now = chrono::Utc::now();
    let personal = db.personal()?;
    let email_index = personal.index(&USER_EMAIL, new.email.as_str()).await?;
    // A sealed address differs from every other, so the database's unique
    // keys see a duplicate only by its index; one stored before addresses
    // were sealed is found here.
    if email_index.is_some() && user_by_email(db, &new.email).await?.is_some() {
        return Err(email_taken());
    }
    let user = db
        .insert(user::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(personal.seal(&USER_EMAIL, new.email.as_str()).await?),
            email_index: Set(email_index),
            display_name: Set(personal.seal(&USER_NAME, &new.display_name).await?),
            password_hash: Set(hash),
            created_at: Set(now),
            ..Default::default()
        })
        .await
        .map_err(|e| match violated_unique_constraint(&e).as_deref() {
            Some("users_email_key" | "users_email_index_key") => email_taken(),
            _ => e.into(),
        })?;
    db.insert(membership::ActiveModel {
        user_id: Set(user.id),
        role: Set(new.role.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .await?;
    crate::billing::platform_usage::record_seats(db).await?;
    to_member(db, user, new.role).await
}

fn email_taken() -> Error {
    Error::conflict("email", "a member with this email already exists")
}

/// Checks a password sign-in on the tenant. Every failure is the same
/// `Unauthenticated`, in about the same time, whether or not the account exists.
pub async fn authenticate(
    ctx: &TenantCtx,
    email: &str,
    password_attempt: &str,
    client: super::throttle::ClientIp,
) -> Result<Member> {
    ctx.ensure_active()?;
    let realm = super::throttle::Realm::Tenant(ctx);
    let attempt = super::throttle::begin(ctx.engine(), realm, email, client).await?;
    let db = ctx.read().await?;
    let found = match Email::parse("email", email) {
        Ok(email) => user_by_email(&db, &email).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let verified = password::verify_blocking(password_attempt.to_owned(), stored).await;
    let member = match (verified, found) {
        (true, Some(user)) => find(&db, user.id).await?,
        _ => None,
    };
    db.commit().await?;
    let (enforced, refused) = super::sso::config::password_sign_in(ctx, email).await?;
    match member {
        Some(member) if !refused => {
            super::switcher::note(ctx, &member.email).await;
            Ok(member)
        }
        _ => {
            attempt.failed().await;
            // With SSO enforced every failure gets the same answer, so that
            // sign-in cannot tell a right password from a wrong one.
            Err(match enforced {
                true => Error::forbidden(
                    "sso_required",
                    "this organisation signs in with single sign-on",
                ),
                false => Error::Unauthenticated,
            })
        }
    }
}

/// The member a session names on this tenant: `Unauthenticated` without one
/// (or once they were removed), `Suspended` while the tenant is suspended.
pub async fn signed_in(ctx: &TenantCtx, subject: Option<Uuid>) -> Result<Member> {
    let caller = super::Caller::User(subject);
    super::caller::run_as(
        ctx,
        &caller,
        crate::authz::Need::Reader,
        async |_, actor| actor.member.clone().ok_or(Error::Unauthenticated),
    )
    .await
}

/// A member by user id, if they still belong to the tenant.
pub async fn find(db: &TenantDb, user_id: Uuid) -> Result<Option<Member>> {
    // One statement: the user and its membership joined.
    let Some((user, Some(m))) = user::Entity::find()
        .filter(user::Column::Id.eq(user_id))
        .find_also_related(membership::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let role = Role::parse(&m.role).ok_or_else(|| anyhow::anyhow!("unknown role {:?}", m.role))?;
    Ok(Some(to_member(db, user, role).await?))
}

/// The member `user_id` names, for a read, if this instance has read them
/// since the tenant's members last changed; otherwise the ticket to read
/// them with ([`find_keeping`]), taken before any transaction opens.
pub fn known(ctx: &TenantCtx, user_id: Uuid) -> Known {
    match KnownMembers::of(ctx).0.lookup(&user_id) {
        (Some(member), _) => Known::Member(member),
        (None, ticket) => Known::Unknown(ticket),
    }
}

/// The member `user_id` names, for a read: as this instance kept them, or
/// read in a read transaction of its own (and kept).
pub async fn known_or_read(ctx: &TenantCtx, user_id: Uuid) -> Result<Option<Member>> {
    match known(ctx, user_id) {
        Known::Member(member) => Ok(Some(member)),
        Known::Unknown(ticket) => {
            let db = ctx.read().await?;
            let found = find_keeping(ctx, &db, user_id, ticket).await?;
            db.commit().await?;
            Ok(found)
        }
    }
}

/// [`find`], keeping what was found for the next reads (unless a change
/// committed since `ticket`).
pub async fn find_keeping(
    ctx: &TenantCtx,
    db: &TenantDb,
    user_id: Uuid,
    ticket: crate::tenancy::Ticket,
) -> Result<Option<Member>> {
    let found = find(db, user_id).await?;
    if let Some(member) = &found {
        KnownMembers::of(ctx)
            .0
            .keep(ticket, user_id, member.clone());
    }
    Ok(found)
}

/// After a change to the tenant's members committed: forgets what this
/// instance kept and relays the record change raised with it, so that
/// every other instance loads a new record.
async fn changed(ctx: &TenantCtx) {
    KnownMembers::of(ctx).0.forget_all();
    relay::relay_now(ctx).await;
}

/// The user with this email, if any (a member or not), found by the
/// address's blind index while addresses are sealed.
async fn user_by_email(db: &TenantDb, email: &Email) -> Result<Option<user::Model>> {
    let (stored, index) = (user::Column::Email, user::Column::EmailIndex);
    let is_email = db
        .personal()?
        .lookup(&USER_EMAIL, stored, index, email.as_str())
        .await?;
    Ok(user::Entity::find().filter(is_email).one(db).await?)
}

/// The member with this email, if any.
pub async fn find_by_email(db: &TenantDb, email: &Email) -> Result<Option<Member>> {
    match user_by_email(db, email).await? {
        Some(u) => find(db, u.id).await,
        None => Ok(None),
    }
}

/// Sets a member's password (already checked against the policy).
pub async fn set_password(db: &TenantDb, user_id: Uuid, password: String) -> Result<()> {
    let hash = password::hash_blocking(password).await?;
    let res = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, hash.into())
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// How many members the tenant has (what `max_members` counts).
pub async fn count(db: &TenantDb) -> Result<u64> {
    Ok(membership::Entity::find().count(db).await?)
}

pub async fn list(db: &TenantDb) -> Result<Vec<Member>> {
    let users = user::Entity::find()
        .order_by_asc(user::Column::CreatedAt)
        .all(db)
        .await?;
    let roles = membership::Entity::find().all(db).await?;
    let mut members = Vec::with_capacity(users.len());
    for u in users {
        let role = roles
            .iter()
            .find(|m| m.user_id == u.id)
            .and_then(|m| Role::parse(&m.role));
        if let Some(role) = role {
            members.push(to_member(db, u, role).await?);
        }
    }
    Ok(members)
}

/// Only owners make, unmake or remove owners: an admin may manage admins and
/// members, never take a tenant over from its owners.
pub fn ensure_may_manage(actor: Role, target: Option<Role>, granted: Option<Role>) -> Result<()> {
    if !actor.can_administer() {
        return Err(Error::forbidden(
            "forbidden",
            "only owners and admins can manage members",
        ));
    }
    let touches_owner = target == Some(Role::Owner) || granted == Some(Role::Owner);
    if touches_owner && actor != Role::Owner {
        return Err(Error::forbidden(
            "forbidden",
            "only owners can grant, change or remove the owner role",
        ));
    }
    Ok(())
}

/// Adds a member on behalf of `actor`, within the plan's `max_members`.
pub async fn add(ctx: &TenantCtx, db: &TenantDb, actor: &Actor, new: NewMember) -> Result<Member> {
    ensure_may_manage(actor.role, None, Some(new.role))?;
    ctx.check_limit(crate::plans::registry::MAX_MEMBERS, count(db).await?)
        .await?;
    let member = create(db, new).await?;
    let detail = format!("{} as {}", member.email, member.role.as_str());
    audit::record_tenant(db, &actor.label, "member.added", &detail).await?;
    Ok(member)
}

/// Changes a member's role on behalf of `actor`; the last owner cannot be
/// demoted. The member's platform tokens end (they carry the role they were
/// issued with), and every instance forgets what it kept of the members.
pub async fn change_role(
    ctx: &TenantCtx,
    actor: &Actor,
    user_id: Uuid,
    role: &str,
) -> Result<Member> {
    let role = Role::parse(role)
        .ok_or_else(|| Error::invalid("role", "must be owner, admin, member or viewer"))?;
    let (member, was) = ctx
        .run(true, async |db| {
            let current = find(db, user_id).await?.ok_or(Error::NotFound)?;
            ensure_may_manage(actor.role, Some(current.role), Some(role))?;
            if current.role == Role::Owner && role != Role::Owner {
                ensure_another_owner(db, user_id).await?;
            }
            if current.role == role {
                return Ok((current, role));
            }
            membership::Entity::update_many()
                .col_expr(membership::Column::Role, role.as_str().into())
                .filter(membership::Column::UserId.eq(user_id))
                .exec(db)
                .await?;
            let detail = format!(
                "{}: {} -> {}",
                current.email,
                current.role.as_str(),
                role.as_str()
            );
            audit::record_tenant(db, &actor.label, "member.role_changed", &detail).await?;
            relay::raise(db, Raised::record_changed(&actor.label)).await?;
            let was = current.role;
            Ok((Member { role, ..current }, was))
        })
        .await?;
    if was != member.role {
        changed(ctx).await;
    }
    Ok(member)
}

/// Removes a member on behalf of `actor`; the last owner cannot be removed.
/// Once the removal commits, every instance forgets what it kept of the
/// members and the member's sessions end; their tokens already fail, as no
/// member is found for them.
pub async fn remove(ctx: &TenantCtx, actor: &Actor, user_id: Uuid) -> Result<()> {
    let removed = ctx
        .run(true, async |db| {
            let current = find(db, user_id).await?.ok_or(Error::NotFound)?;
            ensure_may_manage(actor.role, Some(current.role), None)?;
            if current.role == Role::Owner {
                ensure_another_owner(db, user_id).await?;
            }
            user::Entity::delete_many()
                .filter(user::Column::Id.eq(user_id))
                .exec(db)
                .await?;
            crate::billing::platform_usage::record_seats(db).await?;
            let detail = format!("{} ({})", current.email, current.role.as_str());
            audit::record_tenant(db, &actor.label, "member.removed", &detail).await?;
            relay::raise(db, Raised::record_changed(&actor.label)).await?;
            Ok(current.email)
        })
        .await?;
    changed(ctx).await;
    super::switcher::forget(ctx, &removed).await?;
    end_sessions(ctx, user_id).await
}

/// Ends every session a removed member had on this tenant.
async fn end_sessions(ctx: &TenantCtx, user_id: Uuid) -> Result<()> {
    let scope = crate::tenancy::RequestScope::Tenant(ctx.clone());
    crate::session::revoke_all(ctx.engine(), &scope, user_id).await?;
    Ok(())
}

/// Refuses when `user_id` is the only owner. On Postgres the owners' rows are
/// locked so that two concurrent demotions cannot both pass.
async fn ensure_another_owner(db: &TenantDb, user_id: Uuid) -> Result<()> {
    let mut owners = membership::Entity::find()
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .filter(membership::Column::UserId.ne(user_id));
    if db.get_database_backend() == DbBackend::Postgres {
        owners = owners.lock_exclusive();
    }
    if owners.count(db).await? == 0 {
        return Err(Error::invalid(
            "role",
            "the last owner cannot be removed or demoted",
        ));
    }
    Ok(())
}

/// The member a stored user is, its personal data opened.
async fn to_member(db: &TenantDb, u: user::Model, role: Role) -> Result<Member> {
    let personal = db.personal()?;
    Ok(Member {
        id: u.id,
        email: personal.open(&USER_EMAIL, &u.email).await?,
        display_name: personal.open(&USER_NAME, &u.display_name).await?,
        role,
        created_at: u.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_manage_admins_and_members_but_never_owners() {
        assert!(ensure_may_manage(Role::Admin, Some(Role::Member), Some(Role::Admin)).is_ok());
        assert!(ensure_may_manage(Role::Admin, Some(Role::Admin), None).is_ok());
        assert!(ensure_may_manage(Role::Admin, Some(Role::Admin), Some(Role::Owner)).is_err());
        assert!(ensure_may_manage(Role::Admin, Some(Role::Owner), Some(Role::Member)).is_err());
        assert!(ensure_may_manage(Role::Admin, Some(Role::Owner), None).is_err());
        assert!(ensure_may_manage(Role::Admin, None, Some(Role::Owner)).is_err());
        assert!(ensure_may_manage(Role::Owner, Some(Role::Owner), Some(Role::Member)).is_ok());
        assert!(ensure_may_manage(Role::Member, Some(Role::Member), None).is_err());
    }
}
