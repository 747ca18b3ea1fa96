use crate::backend::page_reads::PageReads;
use crate::backend::{branding_dto, fail, scope, session, viewer_of_member};
use crate::dto::{HostKind, ImpersonationDto, PageCtx, Viewer};
use crate::error::AppError;
use tenantry::identity::{admins, impersonation, members};
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
                    branding: Box::new(branding_dto(&tenant.branding)),
                },
                viewer,
                flags,
                impersonation,
            })
        }
    }
}

/// Signs in on whichever host this is: a superadmin on the console, a member
/// on a tenant's host (refused while the tenant is suspended).
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    let scope = scope().await?;
    let client = crate::backend::client_ip().await;
    let (subject, home) = match &scope {
        RequestScope::Console => {
            let engine = crate::backend::engine().await?;
            let admin = admins::authenticate(&engine, &email, &password, client).await?;
            (admin.id, "/console")
        }
        RequestScope::Tenant(ctx) => {
            let member = members::authenticate(ctx, &email, &password, client).await?;
            (member.id, "/")
        }
        RequestScope::Site => return Err(fail(Error::NotFound)),
    };
    let arrival = crate::backend::arrival().await;
    tenantry::session::sign_in(&session().await?, &scope, subject, arrival)
        .await
        .map_err(|e| fail(Error::Unexpected(e)))?;
    leptos_axum::redirect(home);
    Ok(())
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
