use crate::backend::page_reads::PageReads;
use crate::backend::{branding_dto, fail, scope, session, viewer_of_member};
use crate::dto::{HostKind, ImpersonationDto, PageCtx, Viewer};
use crate::error::AppError;
use crate::features::session::api::{SignInStep, SignedInDto};
use crate::features::two_factor::api::EnrolmentDto;
use tenantry::identity::{admins, impersonation, members, two_factor};
use tenantry::tenancy::{RequestScope, TenantState};
use tenantry::Error;

pub async fn page_context() -> Result<PageCtx, AppError> {
    let reads = PageReads::of_render();
    let scope = scope().await?;
    let session = session().await?;
    let subject = tenantry::session::subject(&session, &scope).await;
    match &scope {
        RequestScope::Console => {
            let engine = crate::backend::engine().await?;
            let viewer = match subject {
                Some(id) => admins::find(&engine, id).await?.map(|a| Viewer {
                    id: a.id.to_string(),
                    display_name: a.email.clone(),
                    email: a.email,
                    role: None,
                }),
                None => None,
            };
            Ok(PageCtx {
                host: HostKind::Console,
                viewer,
                flags: Default::default(),
                impersonation: None,
            })
        }
        RequestScope::Site => Ok(PageCtx {
            host: HostKind::Site,
            viewer: None,
            flags: Default::default(),
            impersonation: None,
        }),
        RequestScope::Tenant(ctx) => {
            let tenant = ctx.tenant();
            // The transaction is let go here, before anything below opens
            // one of its own (see `PageReads`).
            let member = match (&reads, subject) {
                (Some(reads), Some(id)) => reads.member(ctx, id).await?,
                (None, Some(id)) => members::known_or_read(ctx, id).await?,
                // Nobody signed in: nothing to read (and no transaction).
                (_, None) => None,
            };
            let flags = ctx
                .flags_for(member.as_ref().map(|m| m.id))
                .all()
                .into_iter()
                .map(|(key, value)| (key, value.to_string()))
                .collect();
            let viewer = member.as_ref().map(viewer_of_member);
            let billing_notice = match &member {
                Some(_) => {
                    tenantry::billing::accounts::notice(&crate::backend::engine().await?, tenant)
                }
                None => None,
            };
            let impersonation = match tenantry::session::impersonation(&session, &scope).await {
                Some(id) => impersonation::active(ctx, id)
                    .await?
                    .map(|a| ImpersonationDto {
                        admin_email: a.admin_email,
                        user_email: a.user_email,
                        reason: a.reason,
                        expires_at: crate::backend::timestamp(a.expires_at),
                    }),
                None => None,
            };
            Ok(PageCtx {
                host: HostKind::Tenant {
                    slug: tenant.slug.to_string(),
                    suspended: tenant.state == TenantState::Suspended,
                    billing_notice,
                    sso_offered: tenantry::identity::sso::flow::available(ctx).await?,
                    branding: Box::new(branding_dto(&tenant.branding)),
                },
                viewer,
                flags,
                impersonation,
            })
        }
    }
}

/// Checks the password on whichever host this is: a superadmin on the
/// console, a member on a tenant's host (refused while the tenant is
/// suspended). Someone with a second factor, or who must set one up, is
/// not signed in yet: the session waits for their code (`sign_in_code`).
pub async fn sign_in(email: String, password: String) -> Result<SignInStep, AppError> {
    let scope = scope().await?;
    let client = crate::backend::client_ip().await;
    let session = session().await?;
    let arrival = crate::backend::arrival().await;
    let (subject, email, enrolled, required) = match &scope {
        RequestScope::Console => {
            let engine = crate::backend::engine().await?;
            let admin = admins::authenticate(&engine, &email, &password, client).await?;
            let enrolled = two_factor::admins::status(&engine, admin.id)
                .await?
                .is_some();
            let required = two_factor::admins::required(&engine);
            (admin.id, admin.email, enrolled, required)
        }
        RequestScope::Tenant(ctx) => {
            let member = members::authenticate(ctx, &email, &password, client).await?;
            let (enrolled, required) = two_factor::members::at_sign_in(ctx, member.id).await?;
            (member.id, member.email, enrolled, required)
        }
        RequestScope::Site => return Err(fail(Error::NotFound)),
    };
    if !enrolled && !required {
        tenantry::session::sign_in(&session, &scope, subject, arrival)
            .await
            .map_err(|e| fail(Error::Unexpected(e)))?;
        leptos_axum::redirect(home_of(&scope));
        return Ok(SignInStep::Done);
    }
    let must_enrol = !enrolled;
    tenantry::session::await_second_factor(&session, &scope, subject, &email, must_enrol, arrival)
        .await
        .map_err(|e| fail(Error::Unexpected(e)))?;
    if !must_enrol {
        return Ok(SignInStep::Code);
    }
    let started = match &scope {
        RequestScope::Tenant(ctx) => two_factor::members::begin(ctx, subject, &email)?,
        _ => two_factor::admins::begin(&crate::backend::engine().await?, subject, &email)?,
    };
    Ok(SignInStep::Enrol(EnrolmentDto {
        secret: started.secret,
        qr_svg: started.qr_svg,
        ticket: started.ticket,
    }))
}

fn home_of(scope: &RequestScope) -> &'static str {
    match scope {
        RequestScope::Console => "/console",
        _ => "/",
    }
}

/// Completes a sign-in waiting for its second factor: a code or a recovery
/// code, or (with `ticket`) the first code of the factor being set up.
pub async fn sign_in_code(code: String, ticket: String) -> Result<SignedInDto, AppError> {
    let scope = scope().await?;
    let session = session().await?;
    let client = crate::backend::client_ip().await;
    let pending = tenantry::session::pending_sign_in(&session, &scope)
        .await
        .ok_or_else(|| {
            fail(Error::invalid(
                "code",
                "this sign-in has lapsed; enter your email and password again",
            ))
        })?;
    let (id, email) = (pending.subject, pending.email.clone());
    let recovery_codes = match (&scope, pending.must_enrol) {
        (RequestScope::Tenant(ctx), true) => {
            two_factor::members::enrol(ctx, id, &email, &ticket, &code).await?
        }
        (RequestScope::Tenant(ctx), false) => {
            two_factor::members::verify(ctx, id, &email, &code, client).await?;
            Vec::new()
        }
        (RequestScope::Console, must_enrol) => {
            let engine = crate::backend::engine().await?;
            if must_enrol {
                two_factor::admins::enrol(&engine, id, &email, &ticket, &code).await?
            } else {
                two_factor::admins::verify(&engine, id, &email, &code, client).await?;
                Vec::new()
            }
        }
        (RequestScope::Site, _) => return Err(fail(Error::NotFound)),
    };
    tenantry::session::complete_second_factor(&session, &scope, pending)
        .await
        .map_err(|e| fail(Error::Unexpected(e)))?;
    let home = home_of(&scope);
    if recovery_codes.is_empty() {
        leptos_axum::redirect(home);
    }
    Ok(SignedInDto {
        home: home.to_owned(),
        recovery_codes,
    })
}

pub async fn logout() -> Result<(), AppError> {
    let scope = scope().await?;
    let session = session().await?;
    // Signing out of a support session ends it.
    if let (RequestScope::Tenant(ctx), Some(id)) = (
        &scope,
        tenantry::session::impersonation(&session, &scope).await,
    ) {
        impersonation::end(ctx, id).await?;
    }
    tenantry::session::sign_out(&session)
        .await
        .map_err(|e| fail(Error::Unexpected(e)))?;
    leptos_axum::redirect(match scope {
        RequestScope::Console => "/console/login",
        RequestScope::Tenant(_) => "/login",
        RequestScope::Site => "/signup",
    });
    Ok(())
}
