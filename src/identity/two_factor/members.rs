//! Members' second factors, kept in their tenant (`member_factors`), and
//! the tenant's own rule on whether its members must have one
//! (`sign_in_rules`).

use super::{check, recovery_codes, sealer, Enrolment, FactorRows, Proof, Status, Stored, Ticket};
use crate::audit;
use crate::entities::tenant::{member_factor as row, sign_in_rule as rule};
use crate::error::{violated_unique_constraint, Error, Result};
use crate::identity::members::Member;
use crate::identity::throttle::{self, ClientIp, Realm};
use crate::tenancy::keys::MEMBER_FACTOR_SECRET;
use crate::tenancy::{TenantCtx, TenantKeys};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use uuid::Uuid;

struct MemberRows<'a> {
    ctx: &'a TenantCtx,
    user: Uuid,
}

impl FactorRows for MemberRows<'_> {
    async fn load(&self) -> Result<Option<Stored>> {
        let found = self
            .ctx
            .run(false, async |db| {
                Ok(row::Entity::find()
                    .filter(row::Column::UserId.eq(self.user))
                    .one(db)
                    .await?)
            })
            .await?;
        Ok(found.map(|f| Stored {
            secret_sealed: f.secret_sealed,
            last_step: f.last_step,
            recovery_codes: f.recovery_codes,
            enrolled_at: f.enrolled_at,
        }))
    }

    async fn record(&self, stored: &Stored, proof: &Proof) -> Result<bool> {
        self.ctx
            .run(true, async |db| {
                let update = row::Entity::update_many().filter(row::Column::UserId.eq(self.user));
                let update = match proof {
                    Proof::Code { step } => update
                        .col_expr(row::Column::LastStep, Expr::value(*step))
                        .filter(
                            row::Column::LastStep
                                .is_null()
                                .or(row::Column::LastStep.lt(*step)),
                        ),
                    Proof::Recovery { remaining } => update
                        .col_expr(row::Column::RecoveryCodes, Expr::value(remaining.clone()))
                        .filter(row::Column::RecoveryCodes.eq(stored.recovery_codes.clone())),
                };
                Ok(update.exec(db).await?.rows_affected == 1)
            })
            .await
    }
}

/// The member's factor, if they have one.
pub async fn status(ctx: &TenantCtx, user: Uuid) -> Result<Option<Status>> {
    let stored = MemberRows { ctx, user }.load().await?;
    Ok(stored.map(|s| Status {
        recovery_left: s.recovery_left(),
        enrolled_at: s.enrolled_at,
    }))
}

/// The members who have a factor (for the members list).
pub async fn enrolled(ctx: &TenantCtx) -> Result<std::collections::HashSet<Uuid>> {
    ctx.run(false, async |db| {
        Ok(row::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|f| f.user_id)
            .collect())
    })
    .await
}

/// At sign-in: whether the member has a factor, and whether the tenant
/// requires one (one read of both).
pub async fn at_sign_in(ctx: &TenantCtx, user: Uuid) -> Result<(bool, bool)> {
    ctx.run(false, async |db| {
        let enrolled = row::Entity::find()
            .filter(row::Column::UserId.eq(user))
            .one(db)
            .await?
            .is_some();
        let required = rule::Entity::find()
            .one(db)
            .await?
            .is_some_and(|r| r.require_two_factor);
        Ok((enrolled, required))
    })
    .await
}

/// Whether the tenant requires its members to sign in with a second factor.
pub async fn required(ctx: &TenantCtx) -> Result<bool> {
    ctx.run(false, async |db| {
        Ok(rule::Entity::find()
            .one(db)
            .await?
            .is_some_and(|r| r.require_two_factor))
    })
    .await
}

/// Sets the tenant's rule (its owners and admins decide). Members without a
/// factor are asked to set one up at their next sign-in; sessions already
/// open are left alone.
pub async fn set_required(ctx: &TenantCtx, actor: &str, require: bool) -> Result<()> {
    ctx.run(true, async |db| {
        let now = chrono::Utc::now();
        let changed = rule::Entity::update_many()
            .col_expr(rule::Column::RequireTwoFactor, Expr::value(require))
            .col_expr(rule::Column::UpdatedAt, Expr::value(now))
            .exec(db)
            .await?;
        if changed.rows_affected == 0 {
            db.insert(rule::ActiveModel {
                require_two_factor: Set(require),
                updated_at: Set(now),
                ..Default::default()
            })
            .await?;
        }
        let action = if require {
            "tenant.two_factor_required"
        } else {
            "tenant.two_factor_optional"
        };
        audit::record_tenant(db, actor, action, "").await
    })
    .await
}

/// Starts setting up a factor for `me`: the secret to scan, labelled with
/// the tenant's own name (never the platform's).
pub fn begin(ctx: &TenantCtx, me: Uuid, email: &str) -> Result<Enrolment> {
    let issuer = ctx.tenant().branding.display_name.clone();
    Enrolment::begin(&sealer(ctx.engine())?, me, &issuer, email)
}

/// Keeps the factor of `ticket` once `code` proves it, and gives the
/// member their recovery codes (shown once).
pub async fn enrol(
    ctx: &TenantCtx,
    user: Uuid,
    email: &str,
    ticket: &str,
    code: &str,
) -> Result<Vec<String>> {
    let sealer = sealer(ctx.engine())?;
    let proven = Ticket::prove(&sealer, ticket, user, code)?;
    let (codes, digests) = recovery_codes();
    let secret_sealed = ctx
        .keys()
        .await?
        .seal(MEMBER_FACTOR_SECRET.name, &hex::encode(&proven.secret))?;
    let actor = format!("member:{email}");
    ctx.run(true, async |db| {
        db.insert(row::ActiveModel {
            user_id: Set(user),
            secret_sealed: Set(secret_sealed),
            last_step: Set(Some(proven.step)),
            recovery_codes: Set(digests),
            enrolled_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .await
        .map_err(|e| match violated_unique_constraint(&e) {
            Some(_) => Error::conflict("code", "two-factor sign-in is already set up"),
            None => e.into(),
        })?;
        audit::record_tenant(db, &actor, "member.two_factor_enrolled", email).await
    })
    .await?;
    Ok(codes)
}

/// Checks a member's code at sign-in, or before a sensitive action.
pub async fn verify(
    ctx: &TenantCtx,
    user: Uuid,
    email: &str,
    code: &str,
    client: ClientIp,
) -> Result<()> {
    let attempt = throttle::begin(ctx.engine(), Realm::Tenant(ctx), email, client).await?;
    let keys = ctx.keys().await?;
    let open = |sealed: &str| member_secret(&keys, sealed);
    let proof = check(&MemberRows { ctx, user }, open, attempt, code).await?;
    if matches!(proof, Proof::Recovery { .. }) {
        let actor = format!("member:{email}");
        ctx.run(true, async |db| {
            audit::record_tenant(db, &actor, "member.recovery_code_used", email).await
        })
        .await?;
    }
    Ok(())
}

/// Turns `me`'s factor off (a current code asked first); refused while the
/// tenant requires one.
pub async fn turn_off(ctx: &TenantCtx, me: &Member, code: &str, client: ClientIp) -> Result<()> {
    if required(ctx).await? {
        return Err(Error::conflict(
            "code",
            "your organisation requires two-factor sign-in",
        ));
    }
    verify(ctx, me.id, &me.email, code, client).await?;
    let actor = format!("member:{}", me.email);
    ctx.run(true, async |db| {
        row::Entity::delete_many()
            .filter(row::Column::UserId.eq(me.id))
            .exec(db)
            .await?;
        audit::record_tenant(db, &actor, "member.two_factor_removed", &me.email).await
    })
    .await
}

/// New recovery codes for `me` (a current code asked first); the old ones
/// stop working.
pub async fn new_recovery_codes(
    ctx: &TenantCtx,
    me: &Member,
    code: &str,
    client: ClientIp,
) -> Result<Vec<String>> {
    verify(ctx, me.id, &me.email, code, client).await?;
    let (codes, digests) = recovery_codes();
    let actor = format!("member:{}", me.email);
    ctx.run(true, async |db| {
        row::Entity::update_many()
            .col_expr(row::Column::RecoveryCodes, Expr::value(digests.clone()))
            .filter(row::Column::UserId.eq(me.id))
            .exec(db)
            .await?;
        audit::record_tenant(db, &actor, "member.recovery_codes_renewed", &me.email).await
    })
    .await?;
    Ok(codes)
}

/// Removes a member's factor on an owner's or admin's word (a lost phone
/// and lost codes): they set up a new one at their next sign-in if the
/// tenant requires it. Only owners reset an owner's.
pub async fn reset(ctx: &TenantCtx, by: &Member, user_id: Uuid) -> Result<()> {
    let actor = format!("member:{}", by.email);
    ctx.run(true, async |db| {
        let target = crate::identity::members::find(db, user_id)
            .await?
            .ok_or(Error::NotFound)?;
        crate::identity::members::ensure_may_manage(by.role, Some(target.role), None)?;
        let gone = row::Entity::delete_many()
            .filter(row::Column::UserId.eq(target.id))
            .exec(db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(Error::invalid(
                "user_id",
                "this member has not set up two-factor sign-in",
            ));
        }
        audit::record_tenant(db, &actor, "member.two_factor_reset", &target.email).await
    })
    .await
}

/// A member's factor secret, opened with their tenant's key (one sealed
/// with `secret_key` before tenants had keys opens too, until a key
/// rotation seals it with the tenant's).
fn member_secret(keys: &TenantKeys, sealed: &str) -> Result<Vec<u8>> {
    let text = keys.open_column(&MEMBER_FACTOR_SECRET, sealed)?;
    hex::decode(text).map_err(|_| Error::Unexpected(anyhow::anyhow!("a factor secret is not hex")))
}
