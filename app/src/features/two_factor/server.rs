//! Two-factor sign-in for whoever is signed in on this host
//! (`tenantry::identity::two_factor`): a member on a tenant's host, a
//! superadmin on the console.

use crate::backend::{admin, client_ip, fail, member_as, parse_id, scope, session, timestamp};
use crate::error::AppError;
use crate::features::two_factor::api::{EnrolmentDto, TwoFactorDto};
use tenantry::authz::Need;
use tenantry::identity::admins::Admin;
use tenantry::identity::members::Member;
use tenantry::identity::two_factor::{admins, members, Enrolment, Status};
use tenantry::tenancy::{Engine, RequestScope, TenantCtx};
use tenantry::Error;

/// Whose factor a call is about.
enum Person {
    Member(TenantCtx, Member),
    Admin(Engine, Admin),
}

async fn person() -> Result<Person, AppError> {
    // Read from the request before any query: a resource rendered during
    // SSR may resume after the request's context is gone.
    let scope = scope().await?;
    let session = session().await?;
    match &scope {
        RequestScope::Console => {
            let (engine, who) = admin().await?;
            Ok(Person::Admin(engine, who))
        }
        RequestScope::Tenant(_) => {
            // Support staff act as the member, never on their sign-in.
            let impersonating = tenantry::session::impersonation(&session, &scope)
                .await
                .is_some();
            let (ctx, member) = member_as(Need::SignedIn).await?;
            if impersonating {
                return Err(fail(Error::forbidden(
                    "impersonating",
                    "a support session cannot change the member's sign-in",
                )));
            }
            Ok(Person::Member(ctx, member))
        }
        RequestScope::Site => Err(fail(Error::NotFound)),
    }
}

fn enrolment_dto(e: Enrolment) -> EnrolmentDto {
    EnrolmentDto {
        secret: e.secret,
        qr_svg: e.qr_svg,
        ticket: e.ticket,
    }
}

pub async fn two_factor_status() -> Result<TwoFactorDto, AppError> {
    let (status, required): (Option<Status>, bool) = match person().await? {
        Person::Member(ctx, m) => (
            members::status(&ctx, m.id).await?,
            members::required(&ctx).await?,
        ),
        Person::Admin(engine, a) => (
            admins::status(&engine, a.id).await?,
            admins::required(&engine),
        ),
    };
    Ok(TwoFactorDto {
        enrolled: status.is_some(),
        enrolled_at: status
            .as_ref()
            .map(|s| timestamp(s.enrolled_at))
            .unwrap_or_default(),
        recovery_left: status.map(|s| s.recovery_left).unwrap_or_default(),
        required,
    })
}

pub async fn begin_two_factor() -> Result<EnrolmentDto, AppError> {
    let started = match person().await? {
        Person::Member(ctx, m) => members::begin(&ctx, m.id, &m.email)?,
        Person::Admin(engine, a) => admins::begin(&engine, a.id, &a.email)?,
    };
    Ok(enrolment_dto(started))
}

pub async fn enrol_two_factor(ticket: String, code: String) -> Result<Vec<String>, AppError> {
    let codes = match person().await? {
        Person::Member(ctx, m) => members::enrol(&ctx, m.id, &m.email, &ticket, &code).await?,
        Person::Admin(engine, a) => admins::enrol(&engine, a.id, &a.email, &ticket, &code).await?,
    };
    // The code just proven counts as a fresh factor in this session.
    mark_fresh().await?;
    Ok(codes)
}

pub async fn turn_off_two_factor(code: String) -> Result<(), AppError> {
    let client = client_ip().await;
    match person().await? {
        Person::Member(ctx, m) => members::turn_off(&ctx, &m, &code, client).await?,
        Person::Admin(engine, a) => {
            admins::turn_off(&engine, a.id, &a.email, &code, client).await?
        }
    }
    Ok(())
}

pub async fn renew_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    let client = client_ip().await;
    Ok(match person().await? {
        Person::Member(ctx, m) => members::new_recovery_codes(&ctx, &m, &code, client).await?,
        Person::Admin(engine, a) => {
            admins::new_recovery_codes(&engine, a.id, &a.email, &code, client).await?
        }
    })
}

pub async fn confirm_factor(code: String) -> Result<(), AppError> {
    let client = client_ip().await;
    match person().await? {
        Person::Member(ctx, m) => members::verify(&ctx, m.id, &m.email, &code, client).await?,
        Person::Admin(engine, a) => admins::verify(&engine, a.id, &a.email, &code, client).await?,
    }
    mark_fresh().await
}

async fn mark_fresh() -> Result<(), AppError> {
    tenantry::session::mark_factor(&session().await?, &scope().await?)
        .await
        .map_err(|e| fail(Error::Unexpected(e)))
}

pub async fn set_two_factor_rule(required: String) -> Result<bool, AppError> {
    let require = match required.trim() {
        "true" => true,
        "false" => false,
        _ => return Err(fail(Error::invalid("required", "must be true or false"))),
    };
    let (ctx, who) = member_as(Need::Admin).await?;
    members::set_required(&ctx, &format!("member:{}", who.email), require).await?;
    Ok(require)
}

pub async fn reset_member_two_factor(user_id: String) -> Result<(), AppError> {
    let target = parse_id(&user_id)?;
    let (ctx, who) = member_as(Need::Admin).await?;
    members::reset(&ctx, &who, target).await?;
    Ok(())
}
