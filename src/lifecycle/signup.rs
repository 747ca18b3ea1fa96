//! Self-serve signup, on the platform's base host.
//!
//! 1. [`sign_up`]: the form is checked (the slug for availability and
//!    reserved words, the owner's address and password as everywhere), the
//!    client address is rate-limited, and the tenant is created `pending`
//!    with its owner and a confirmation link mailed in the same transaction
//!    — in a unit made ahead when its placement needs one
//!    ([`super::warm_units`]), so it takes milliseconds whatever the
//!    placement.
//! 2. [`confirm`]: the link, opened on the tenant's own host, proves the
//!    address, activates the tenant and answers the owner to sign in there.
//!    Nothing of the tenant is served before: a pending tenant's host
//!    answers only this link.
//! 3. [`lapse_expired`]: a signup unconfirmed after `signup.confirm_hours`
//!    is deleted and purged, freeing its slug.

use crate::cache::CacheKey;
use crate::catalog::tenants::{self, NewTenant};
use crate::config::SignupMode;
use crate::entities::catalog::tenant;
use crate::error::{Error, Result};
use crate::identity::throttle::ClientIp;
use crate::identity::verification;
use crate::ratelimit::Rate;
use crate::tenancy::{Engine, Placement, Slug, TenantCtx, TenantState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

/// What a person fills in on the signup page.
#[derive(Debug, Clone, Default)]
pub struct SignupForm {
    pub name: String,
    pub slug: String,
    pub email: String,
    pub password: String,
    /// A plan's key; empty for the deployment's default.
    pub plan: String,
    /// The invitation's token, where signup is by invitation.
    pub invite: String,
}

/// A signup accepted: where the confirmation link went and where the tenant
/// will open.
#[derive(Debug, Clone)]
pub struct SignupReceipt {
    pub slug: String,
    pub email: String,
    /// The tenant's address (its host on the base domain).
    pub origin: String,
}

/// The actor of every audit entry a signup writes.
const ACTOR: &str = "signup";

/// Refused unless signup is open on this deployment.
pub fn ensure_open(engine: &Engine) -> Result<()> {
    match engine.settings().signup.mode {
        // By invitation: the form is open, the signup needs one.
        SignupMode::Open | SignupMode::Invite => Ok(()),
        SignupMode::Off => Err(Error::forbidden(
            "signup",
            "signup is closed on this platform; ask its operators for an organisation",
        )),
    }
}

/// Ok when `raw` could be signed up now: well formed, not reserved, not
/// taken (by any tenant, a pending signup's included).
pub async fn check_slug(engine: &Engine, raw: &str) -> Result<()> {
    ensure_open(engine)?;
    let slug = Slug::parse(raw)?;
    if engine.record_by_slug(&slug).await?.is_some() {
        return Err(Error::conflict("slug", "this address is already taken"));
    }
    Ok(())
}

/// Signs an organisation up (see the module's note): the tenant, pending,
/// with its owner and the confirmation mail queued.
pub async fn sign_up(engine: &Engine, form: SignupForm, client: ClientIp) -> Result<SignupReceipt> {
    let settings = engine.settings();
    let placement = settings
        .signup
        .placement
        .unwrap_or_else(|| engine.default_placement());
    sign_up_in(engine, form, client, placement).await
}

/// [`sign_up`] into `placement` (the benchmark's way to measure each).
pub async fn sign_up_in(
    engine: &Engine,
    form: SignupForm,
    client: ClientIp,
    placement: Placement,
) -> Result<SignupReceipt> {
    ensure_open(engine)?;
    let settings = engine.settings();
    let per_hour = settings.signup.per_address_per_hour.max(1);
    let rate = Rate::per_period(per_hour, Duration::from_secs(3600), per_hour);
    let key = client.0.map(|ip| CacheKey::platform("signup.ip", ip));
    if let Some(key) = &key {
        refuse_when_over(engine.rate_limiter().peek(key, rate).await)?;
    }
    check_slug(engine, &form.slug).await?;
    // Counted once the form is good: a person correcting a typo is not
    // held back, a script creating tenants is.
    if let Some(key) = &key {
        refuse_when_over(engine.rate_limiter().check(key, rate).await)?;
    }
    let invitation = match settings.signup.mode {
        SignupMode::Invite => {
            Some(super::signup_invites::take(engine, &form.invite, &form.email).await?)
        }
        _ => None,
    };
    let made = create(engine, form, placement).await;
    if let (Err(_), Some(taken)) = (&made, invitation) {
        taken.give_back(engine).await;
    }
    made
}

/// The pending tenant of an accepted signup form.
async fn create(engine: &Engine, form: SignupForm, placement: Placement) -> Result<SignupReceipt> {
    let settings = engine.settings();
    let input = NewTenant {
        slug: form.slug,
        name: form.name,
        admin_email: form.email,
        admin_password: form.password,
        placement: placement.as_str().to_owned(),
        region: String::new(),
        pending: true,
        plan: form.plan,
    };
    if input.admin_password.is_empty() {
        return Err(Error::invalid("password", "choose a password"));
    }
    let hours = i64::from(settings.signup.confirm_hours.max(1));
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(hours);
    let email = input.admin_email.trim().to_lowercase();
    let created = super::provision::create_for_signup(engine, input, expires_at, ACTOR)
        .await
        .map_err(signup_field_names)?;
    let record = engine
        .record_by_id(created.id)
        .await?
        .ok_or(Error::NotFound)?;
    let origin = engine.ctx(record).public_origin();
    Ok(SignupReceipt {
        slug: created.slug,
        email,
        origin,
    })
}

fn refuse_when_over(decision: crate::ratelimit::Decision) -> Result<()> {
    if decision.allowed {
        return Ok(());
    }
    let wait = decision.retry_after;
    tracing::warn!("signup refused: too many from one address");
    Err(Error::TooManyAttempts {
        retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
    })
}

/// The creation names the owner's fields as the console's form does
/// (`admin_email`); the signup form calls them `email` and `password`.
fn signup_field_names(err: Error) -> Error {
    match err {
        Error::Invalid(mut f) => {
            f.field = match f.field {
                "admin_email" => "email",
                "admin_password" => "password",
                other => other,
            };
            Error::Invalid(f)
        }
        other => other,
    }
}

/// Uses a signup's confirmation link on its pending tenant's host: the
/// owner's address is proved, the tenant activated. Answers the owner's
/// user id, to sign in. A tenant already open, or a link used, expired or
/// of another tenant, is not found.
pub async fn confirm(ctx: &TenantCtx, token: &str) -> Result<uuid::Uuid> {
    if ctx.tenant().state != TenantState::Pending {
        return Err(Error::NotFound);
    }
    // The tenant is pending: the platform's own write inside it.
    let proof = ctx
        .run_for_platform(async |db| verification::use_link(db, token).await)
        .await?;
    let slug = ctx.tenant().slug.to_string();
    tenants::activate(ctx.engine(), &slug, ACTOR).await?;
    crate::identity::switcher::note(ctx, &proof.email).await;
    Ok(proof.user_id)
}

/// Deletes and purges every signup's tenant still pending after its
/// confirmation window; answers how many.
pub async fn lapse_expired(engine: &Engine) -> Result<u64> {
    let lapsed = tenant::Entity::find()
        .filter(tenant::Column::State.eq(TenantState::Pending.as_str()))
        .filter(tenant::Column::SignupExpiresAt.lte(chrono::Utc::now()))
        .all(engine.platform_tables())
        .await?;
    let mut purged = 0;
    for t in lapsed {
        let actor = "signup.lapsed";
        let gone = async {
            tenants::delete(engine, &t.slug, &t.slug, actor).await?;
            super::purge_now(engine, &t.slug, &t.slug, actor).await
        };
        match gone.await {
            Ok(_) => purged += 1,
            Err(e) => tracing::error!(tenant_id = %t.id, error = ?e, "lapsing a signup failed"),
        }
    }
    Ok(purged)
}
