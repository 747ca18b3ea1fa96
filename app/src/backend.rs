//! Server-only glue between the features' server functions and the core
//! crate, shared by every feature's `server.rs`: reads the
//! request's scope and session, checks who is asking, calls the core, and turns
//! core results into DTOs and core errors into [`AppError`]s (setting the HTTP
//! status to match).

pub mod needs;
pub mod page_reads;

use crate::dto::{BrandingDto, Viewer};
use crate::error::AppError;
use http::StatusCode;
use leptos::prelude::{use_context, with_context};
use leptos_axum::ResponseOptions;
use tenantry::authz::{self, Need, Principal};
use tenantry::entities::tenant::branding as tenant_branding;
use tenantry::identity::admins::Admin;
use tenantry::identity::members::{self as member_svc, Member};
use tenantry::tenancy::{Engine, RequestScope, SiteOrigin, TenantCtx};
use tenantry::Error;
use tower_sessions::Session;

/// Converts a core error for the browser and sets the response status.
pub fn fail(err: Error) -> AppError {
    if let Error::Unexpected(cause) = &err {
        tracing::error!(error = ?cause, "server function failed");
    }
    let public = err.public();
    // Only a server-function call gets the error's status: during a page
    // render the page decides its own status (e.g. a redirect to sign-in).
    let rendering_page = use_context::<leptos_router::location::RequestUrl>().is_some();
    if let (Some(response), false) = (use_context::<ResponseOptions>(), rendering_page) {
        response.set_status(
            StatusCode::from_u16(public.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    AppError {
        code: public.code.to_owned(),
        message: public.message,
        field: public.field.map(str::to_owned),
        entitlement: public.entitlement.map(str::to_owned),
    }
}

/// Lets a server function's body use `?` on the core's results.
impl From<Error> for AppError {
    fn from(err: Error) -> Self {
        fail(err)
    }
}

/// A value the gateway put in the request's extensions, read where it lies:
/// `leptos_axum::extract` clones the whole request head (every header) for
/// each read, several times per page.
fn extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    with_context::<http::request::Parts, _>(|parts| parts.extensions.get::<T>().cloned()).flatten()
}

pub async fn scope() -> Result<RequestScope, AppError> {
    extension::<RequestScope>().ok_or_else(|| fail(Error::NotFound))
}

pub async fn engine() -> Result<Engine, AppError> {
    extension::<Engine>().ok_or_else(|| {
        fail(Error::Unexpected(anyhow::anyhow!(
            "engine missing from request"
        )))
    })
}

/// The address this request was made to, the base of mailed links.
pub async fn site_origin() -> Result<String, AppError> {
    extension::<SiteOrigin>()
        .map(|SiteOrigin(origin)| origin)
        .ok_or_else(|| fail(Error::NotFound))
}

/// The client's address as the gateway established it (throttles and
/// per-address limits); unknown when the request carries none.
pub async fn client_ip() -> tenantry::identity::throttle::ClientIp {
    extension::<tenantry::identity::throttle::ClientIp>().unwrap_or_default()
}

/// Where this sign-in comes from (see `tenantry::session::Arrival`).
pub async fn arrival() -> tenantry::session::Arrival {
    let device = with_context::<http::request::Parts, _>(|parts| {
        let agent = parts.headers.get(http::header::USER_AGENT)?;
        agent.to_str().ok().map(str::to_owned)
    })
    .flatten();
    tenantry::session::Arrival::new(device.as_deref(), client_ip().await.0)
}

pub async fn session() -> Result<Session, AppError> {
    // The session layer puts it there (`Session`'s own extractor reads it
    // the same way).
    extension::<Session>()
        .ok_or_else(|| fail(Error::Unexpected(anyhow::anyhow!("session layer missing"))))
}

/// The signed-in superadmin on the console host.
pub async fn admin() -> Result<(Engine, Admin), AppError> {
    let scope = scope().await?;
    scope.console()?;
    let engine = engine().await?;
    let subject = tenantry::session::subject(&session().await?, &scope).await;
    let admin = match subject {
        Some(id) => tenantry::identity::admins::find(&engine, id).await?,
        None => None,
    };
    let who = match admin {
        Some(_) => Principal::Superadmin,
        None => Principal::Anonymous,
    };
    authz::check(Need::Superadmin, who)?;
    admin
        .map(|a| (engine, a))
        .ok_or_else(|| fail(Error::Unauthenticated))
}

/// The signed-in superadmin, for a sensitive act (impersonation, deleting
/// or purging a tenant): refused unless this session proved its second
/// factor within `two_factor.fresh_minutes`; the page then asks for a code
/// and tries again. A superadmin with no factor (only where the platform
/// does not require one) is not asked.
pub async fn admin_with_fresh_factor() -> Result<(Engine, Admin), AppError> {
    use tenantry::identity::two_factor;
    let (engine, who) = admin().await?;
    if two_factor::admins::status(&engine, who.id).await?.is_none() {
        return Ok((engine, who));
    }
    let minutes = engine.settings().two_factor.fresh_minutes;
    let scope = scope().await?;
    if tenantry::session::factor_is_fresh(&session().await?, &scope, minutes).await {
        return Ok((engine, who));
    }
    Err(fail(two_factor::fresh_factor_needed()))
}

/// The tenant of this host (any state).
pub async fn tenant() -> Result<TenantCtx, AppError> {
    scope().await?.tenant().cloned().map_err(fail)
}

/// The signed-in member of this host's tenant, once they meet `need`.
pub async fn member_as(need: Need) -> Result<(TenantCtx, Member), AppError> {
    let (ctx, subject) = member_subject().await?;
    let member = member_svc::signed_in(&ctx, subject).await?;
    authz::check(need, Principal::Member(member.role))?;
    Ok((ctx, member))
}

/// The tenant of this host and who its session names (not yet checked).
pub async fn member_subject() -> Result<(TenantCtx, Option<uuid::Uuid>), AppError> {
    let scope = scope().await?;
    let ctx = scope.tenant().cloned()?;
    let subject = tenantry::session::subject(&session().await?, &scope).await;
    Ok((ctx, subject))
}

/// The tenant a tenant-management call is about, and who acts: on the
/// console a superadmin, for the tenant named by `slug` (not deleted); on a
/// tenant host an owner or admin, for that tenant (`slug` is ignored there,
/// so it cannot point anywhere else).
pub async fn managed_tenant(
    slug: &str,
) -> Result<(Engine, tenantry::tenancy::TenantRecord, String), AppError> {
    use tenantry::tenancy::{Slug, TenantState};
    match scope().await? {
        RequestScope::Console => {
            let (engine, who) = admin().await?;
            let slug = Slug::parse(slug).map_err(|_| fail(Error::NotFound))?;
            let record = engine
                .record_by_slug(&slug)
                .await?
                .filter(|t| t.state != TenantState::Deleted)
                .ok_or_else(|| fail(Error::NotFound))?;
            Ok((engine, record, actor(&who.email)))
        }
        RequestScope::Tenant(_) => {
            // Read from the request before any query: a resource rendered
            // during SSR may resume after the request's context is gone.
            let engine = engine().await?;
            let (ctx, who) = tenant_admin().await?;
            let actor = format!("member:{}", who.email);
            Ok((engine, ctx.tenant().clone(), actor))
        }
        RequestScope::Site => Err(fail(Error::NotFound)),
    }
}

/// The signed-in member, who must be an owner or admin.
pub async fn tenant_admin() -> Result<(TenantCtx, Member), AppError> {
    member_as(Need::Admin).await
}

pub fn viewer_of_member(m: &Member) -> Viewer {
    Viewer {
        id: m.id.to_string(),
        email: m.email.clone(),
        display_name: m.display_name.clone(),
        role: Some(m.role),
    }
}

pub fn branding_dto(b: &tenant_branding::Model) -> BrandingDto {
    BrandingDto {
        display_name: b.display_name.clone(),
        primary_color: b.primary_color.clone(),
        accent_color: b.accent_color.clone(),
        logo_url: b.logo_url.clone(),
        login_text: b.login_text.clone(),
        product_name: b.product_name.clone(),
        support_email: b.support_email.clone(),
        primary_color_dark: b.primary_color_dark.clone(),
        accent_color_dark: b.accent_color_dark.clone(),
        favicon_url: b.favicon_url.clone(),
    }
}

/// Ids arrive as strings; anything that is not a UUID cannot be a row of this
/// tenant, so it is a 404 like any other missing row.
pub fn parse_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| fail(Error::NotFound))
}

/// A page of the core's rows as the browser gets it, each row made by `dto`
/// (which may refuse a row the core should not have stored).
pub fn paged<T, U>(
    page: tenantry::entities::search::Page<T>,
    dto: impl FnMut(T) -> Result<U, AppError>,
) -> Result<crate::dto::PageDto<U>, AppError> {
    Ok(crate::dto::PageDto {
        rows: page.rows.into_iter().map(dto).collect::<Result<_, _>>()?,
        next: page.next,
    })
}

/// An audit entry as the logs show it.
pub fn audit_row(e: tenantry::audit::AuditEntry) -> Result<crate::dto::AuditRow, AppError> {
    Ok(crate::dto::AuditRow {
        at: timestamp(e.at),
        actor: e.actor,
        action: e.action,
        tenant: e.tenant.map(|t| t.to_string()),
        detail: e.detail,
    })
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A state word the core stored, as its shared type; an unknown word is a
/// server error (the core writes only the words its vocabulary has).
pub(crate) fn stored<T>(
    parse: fn(&str) -> Option<T>,
    what: &str,
    raw: &str,
) -> Result<T, AppError> {
    parse(raw).ok_or_else(|| fail(anyhow::anyhow!("{what} has unknown state {raw:?}").into()))
}

/// How a superadmin is named in the audit trails.
pub(crate) fn actor(email: &str) -> String {
    format!("superadmin:{email}")
}
