//! Who a request on a tenant host acts as, and running work as them. A caller
//! is resolved from the session cookie, an API key or a platform token; each
//! becomes an [`Actor`] with a role inside the tenant's transaction, and the
//! route's declared [`Need`] is checked there, before any work runs.

use super::impersonation::Active;
use super::members::{self, Known, Member};
use super::Role;
use crate::authz::{self, Need, Principal};
use crate::error::{Error, Result};
use crate::tenancy::{TenantCtx, TenantDb};
use uuid::Uuid;

/// An unchecked caller of a tenant host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Whoever the session names, if anyone.
    User(Option<Uuid>),
    /// A member through a platform token issued from one of their sessions,
    /// already found live.
    Token(TokenGrant),
    /// An API key of this tenant (or a token issued for one), already found
    /// valid and unrevoked.
    Key(KeyGrant),
}

/// What an API key may do: the key's id, its visible prefix, its role and
/// its own rate limit, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub id: Uuid,
    pub prefix: String,
    pub role: Role,
    pub requests_per_second: Option<u32>,
}

/// What a member's token may do: act as `user` while they still hold
/// `role`; inside a support session when `impersonation` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub user: Uuid,
    pub role: Role,
    pub impersonation: Option<Active>,
}

/// A checked caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub role: Role,
    /// The member, when a person (not an API key) is acting.
    pub member: Option<Member>,
    /// How the caller appears in logs and audit entries.
    pub label: String,
}

impl Actor {
    /// A member acting in person.
    pub fn of_member(member: Member) -> Self {
        Self {
            role: member.role,
            label: format!("member:{}", member.email),
            member: Some(member),
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        self.member.as_ref().map(|m| m.id)
    }
}

/// Runs `work` as `caller` in one transaction of the tenant that also looks
/// the member up (one transaction per request, not two), once `need` is met.
/// Fails `Unauthenticated` without a caller (or once the member was removed),
/// `Suspended` while the tenant is suspended, `Forbidden` when the role falls
/// short; a need that writes also fails while the tenant is not active.
pub async fn run_as<T, F>(ctx: &TenantCtx, caller: &Caller, need: Need, work: F) -> Result<T>
where
    F: AsyncFnOnce(&TenantDb, &Actor) -> Result<T>,
{
    ctx.ensure_active()?;
    if matches!(caller, Caller::User(None)) {
        authz::check(need, Principal::Anonymous)?;
    }
    // A read may take the member as this instance kept them (`members::known`);
    // a write looks them up in its own transaction.
    let known = match caller {
        Caller::User(Some(user)) | Caller::Token(TokenGrant { user, .. }) if !need.writes() => {
            Some(members::known(ctx, *user))
        }
        _ => None,
    };
    ctx.run(need.writes(), async |db| {
        let member_of = async |user: Uuid| -> Result<Member> {
            let found = match &known {
                Some(Known::Member(member)) => Some(member.clone()),
                Some(Known::Unknown(ticket)) => {
                    members::find_keeping(ctx, db, user, *ticket).await?
                }
                None => members::find(db, user).await?,
            };
            found.ok_or(Error::Unauthenticated)
        };
        let actor = match caller {
            Caller::User(subject) => {
                let id = subject.ok_or(Error::Unauthenticated)?;
                Actor::of_member(member_of(id).await?)
            }
            Caller::Token(grant) => {
                let member = member_of(grant.user).await?;
                // A role change ends the member's tokens.
                if member.role != grant.role {
                    return Err(Error::Unauthenticated);
                }
                let mut actor = Actor::of_member(member);
                if let Some(active) = &grant.impersonation {
                    actor.label = active.actor();
                }
                actor
            }
            Caller::Key(key) => Actor {
                role: key.role,
                member: None,
                label: format!("api_key:{}", key.prefix),
            },
        };
        authz::check(need, Principal::Member(actor.role))?;
        work(db, &actor).await
    })
    .await
}
