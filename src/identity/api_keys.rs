//! API keys: a tenant's admins create them (the secret is shown once), name
//! them, give them a role no higher than admin and an optional expiry, and
//! revoke them. A key reads `tnt_<prefix>_<secret>`: the prefix finds the row
//! and stays visible in lists; only a digest of the whole key is kept. The key
//! names its tenant, so the gateway refuses it on any other tenant's host.

mod known;

use super::{secret_token, Actor, KeyGrant, Role};
use crate::audit;
use crate::entities::tenant::api_key as row;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::tenancy::directory;
use crate::tenancy::TenantCtx;
use known::KnownKeys;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

/// Every key starts with this, so a leaked one is recognisable.
pub const KEY_PREFIX: &str = "tnt_";
const MAX_EXPIRY_DAYS: i64 = 3650;
const MAX_KEY_RATE: u32 = 10_000;

#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// `tnt_<prefix>`: the part of the key that may be shown again.
    pub prefix: String,
    pub role: Role,
    pub requests_per_second: Option<u32>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A key just created: the only time its secret exists outside the caller.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// A validated request for a key.
pub struct NewKey {
    pub name: String,
    pub role: Role,
    pub expires_in_days: Option<i64>,
    pub requests_per_second: Option<u32>,
}

impl NewKey {
    /// `expires_in_days` empty means the key does not expire;
    /// `requests_per_second` empty, that only the tenant's limit applies.
    pub fn parse(
        name: &str,
        role: &str,
        expires_in_days: &str,
        requests_per_second: &str,
    ) -> Result<Self> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "is required"));
        }
        if name.chars().count() > 100 {
            return Err(Error::invalid("name", "must be at most 100 characters"));
        }
        let role = match Role::parse(role) {
            Some(role) if role != Role::Owner => role,
            _ => return Err(Error::invalid("role", "must be admin, member or viewer")),
        };
        let expires_in_days = match expires_in_days.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => Some(days),
                _ => {
                    return Err(Error::invalid(
                        "expires_in_days",
                        "must be a whole number of days from 1 to 3650, or empty",
                    ))
                }
            },
        };
        let requests_per_second = match requests_per_second.trim() {
            "" => None,
            raw => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_KEY_RATE).contains(&n) => Some(n),
                _ => {
                    return Err(Error::invalid(
                        "requests_per_second",
                        "must be a whole number from 1 to 10000, or empty",
                    ))
                }
            },
        };
        Ok(Self {
            name: name.to_owned(),
            role,
            expires_in_days,
            requests_per_second,
        })
    }
}

/// Creates a key on the actor's tenant. An admin cannot mint a key that
/// outranks them (keys are never owners).
pub async fn create(ctx: &TenantCtx, actor: &Actor, new: NewKey) -> Result<CreatedKey> {
    crate::authz::check(
        crate::authz::Need::Admin,
        crate::authz::Principal::Member(actor.role),
    )?;
    let secret = secret_token::random();
    let prefix = format!("{KEY_PREFIX}{}", &secret_token::random()[..12]);
    let full = format!("{prefix}_{secret}");
    let now = chrono::Utc::now();
    // The directory entry first: a key whose insert then fails leaves a
    // prefix that names its tenant and finds nothing there.
    directory::register_key_prefix(ctx.engine(), ctx.id(), &prefix).await?;
    let saved = ctx
        .run(true, async |db| {
            let saved = db
                .insert(row::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    name: Set(new.name),
                    prefix: Set(prefix),
                    secret_hash: Set(secret_token::digest(&full)),
                    role: Set(new.role.as_str().to_owned()),
                    requests_per_second: Set(new.requests_per_second.map(|n| n as i32)),
                    created_by: Set(actor.label.clone()),
                    created_at: Set(now),
                    expires_at: Set(new.expires_in_days.map(|d| now + chrono::Duration::days(d))),
                    last_used_at: Set(None),
                    revoked_at: Set(None),
                    ..Default::default()
                })
                .await?;
            let detail = format!("{} ({})", saved.prefix, saved.name);
            audit::record_tenant(db, &actor.label, "api_key.created", &detail).await?;
            Ok(saved)
        })
        .await?;
    Ok(CreatedKey {
        key: to_key(saved)?,
        secret: full,
    })
}

/// The tenant's keys, newest first (revoked ones included, marked).
pub async fn list(ctx: &TenantCtx) -> Result<Vec<ApiKey>> {
    ctx.run(false, async |db| {
        row::Entity::find()
            .order_by_desc(row::Column::CreatedAt)
            .all(db)
            .await?
            .into_iter()
            .map(to_key)
            .collect()
    })
    .await
}

/// Revokes one of the tenant's keys; it stops working at once. Another
/// tenant's key is not found.
pub async fn revoke(ctx: &TenantCtx, actor: &Actor, id: Uuid) -> Result<ApiKey> {
    crate::authz::check(
        crate::authz::Need::Admin,
        crate::authz::Principal::Member(actor.role),
    )?;
    let revoked = ctx
        .run(true, async |db| {
            let found = row::Entity::find()
                .filter(row::Column::Id.eq(id))
                .one(db)
                .await?
                .ok_or(Error::NotFound)?;
            if found.revoked_at.is_some() {
                return to_key(found);
            }
            let mut active: row::ActiveModel = found.into();
            active.revoked_at = Set(Some(chrono::Utc::now()));
            let saved = active.update(db).await?;
            let detail = format!("{} ({})", saved.prefix, saved.name);
            audit::record_tenant(db, &actor.label, "api_key.revoked", &detail).await?;
            // Other instances may know the key (`known`): they load a new record.
            relay::raise(db, Raised::record_changed(&actor.label)).await?;
            to_key(saved)
        })
        .await?;
    KnownKeys::of(ctx).0.forget_all();
    relay::relay_now(ctx).await;
    Ok(revoked)
}

/// The grant of a presented key, if it is a live key of `ctx`'s tenant:
/// the key is looked up inside that tenant only. Every failure is the same
/// `Unauthenticated`; a key of another tenant (its prefix's directory entry
/// says so) is logged.
pub async fn authenticate(ctx: &TenantCtx, presented: &str) -> Result<KeyGrant> {
    let prefix = presented
        .rsplit_once('_')
        .map(|(prefix, _)| prefix)
        .filter(|p| p.starts_with(KEY_PREFIX))
        .ok_or(Error::Unauthenticated)?;
    let known = KnownKeys::of(ctx);
    let (kept, ticket) = known.0.lookup(prefix);
    let found = match kept {
        Some(found) => Some(found),
        None => {
            let found = ctx
                .run(false, async |db| {
                    Ok(row::Entity::find()
                        .filter(row::Column::Prefix.eq(prefix))
                        .one(db)
                        .await?)
                })
                .await?;
            if let Some(found) = &found {
                known.0.keep(ticket, found.prefix.clone(), found.clone());
            }
            found
        }
    };
    let Some(mut found) = found else {
        let owner = directory::tenant_of_key_prefix(ctx.engine(), prefix).await?;
        if owner.is_some_and(|owner| owner != ctx.id()) {
            tracing::warn!(
                host_tenant = %ctx.id(),
                "a credential of another tenant was presented on this host"
            );
        }
        return Err(Error::Unauthenticated);
    };
    let now = chrono::Utc::now();
    if !is_live(&found, now) || !secret_token::matches(presented, &found.secret_hash) {
        return Err(Error::Unauthenticated);
    }
    if touch(ctx, &found, now).await? {
        found.last_used_at = Some(now);
        known.0.keep(ticket, found.prefix.clone(), found.clone());
    }
    grant_of(found)
}

/// A key of `ctx`'s tenant that is still live, by id (what a token issued
/// for it names).
pub async fn grant_by_id(ctx: &TenantCtx, id: Uuid) -> Result<KeyGrant> {
    let found = ctx
        .run(false, async |db| {
            Ok(row::Entity::find()
                .filter(row::Column::Id.eq(id))
                .one(db)
                .await?)
        })
        .await?
        .ok_or(Error::Unauthenticated)?;
    if !is_live(&found, chrono::Utc::now()) {
        return Err(Error::Unauthenticated);
    }
    grant_of(found)
}

/// Neither revoked nor expired.
fn is_live(found: &row::Model, now: chrono::DateTime<chrono::Utc>) -> bool {
    found.revoked_at.is_none() && found.expires_at.is_none_or(|at| at > now)
}

fn grant_of(found: row::Model) -> Result<KeyGrant> {
    Ok(KeyGrant {
        id: found.id,
        role: Role::parse(&found.role).ok_or(Error::Unauthenticated)?,
        prefix: found.prefix,
        requests_per_second: found.requests_per_second.map(|n| n.max(1) as u32),
    })
}

/// Records use at most once a minute per key, so that a busy key does not
/// turn every request into a write: the row as last read or touched says
/// whether it is due, and the condition keeps concurrent requests (and
/// instances) to one update. Whether it was due.
async fn touch(
    ctx: &TenantCtx,
    found: &row::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let stale = now - chrono::Duration::seconds(60);
    if found.last_used_at.is_some_and(|at| at >= stale) {
        return Ok(false);
    }
    // Bookkeeping, not a change the tenant makes: written in any state.
    let db = ctx.db().await?;
    row::Entity::update_many()
        .col_expr(row::Column::LastUsedAt, Expr::value(now))
        .filter(row::Column::Id.eq(found.id))
        .filter(
            sea_orm::Condition::any()
                .add(row::Column::LastUsedAt.is_null())
                .add(row::Column::LastUsedAt.lt(stale)),
        )
        .exec(&db)
        .await?;
    db.commit().await?;
    Ok(true)
}

fn to_key(r: row::Model) -> Result<ApiKey> {
    let role = Role::parse(&r.role).ok_or_else(|| anyhow::anyhow!("unknown role {:?}", r.role))?;
    Ok(ApiKey {
        id: r.id,
        name: r.name,
        prefix: r.prefix,
        role,
        requests_per_second: r.requests_per_second.map(|n| n.max(1) as u32),
        created_by: r.created_by,
        created_at: r.created_at,
        expires_at: r.expires_at,
        last_used_at: r.last_used_at,
        revoked_at: r.revoked_at,
    })
}

#[cfg(test)]
mod tests {
    use super::NewKey;

    #[test]
    fn key_requests_name_the_field_that_is_wrong() {
        let field = |r: crate::Result<NewKey>| r.err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(
            field(NewKey::parse(" ", "member", "", "")),
            Some("name".into())
        );
        assert_eq!(
            field(NewKey::parse("ci", "owner", "", "")),
            Some("role".into())
        );
        assert_eq!(
            field(NewKey::parse("ci", "member", "0", "")),
            Some("expires_in_days".into())
        );
        assert_eq!(
            field(NewKey::parse("ci", "member", "soon", "")),
            Some("expires_in_days".into())
        );
        assert_eq!(
            field(NewKey::parse("ci", "member", "", "0")),
            Some("requests_per_second".into())
        );
        let ok = NewKey::parse("ci", "viewer", "30", "5").expect("valid");
        assert_eq!(ok.expires_in_days, Some(30));
        assert_eq!(ok.requests_per_second, Some(5));
    }
}
