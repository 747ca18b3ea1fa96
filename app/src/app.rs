use crate::components::NotFound;
use crate::dto::PageCtx;
use crate::error::AppError;
use crate::pages::{billing, console, domains, exports, plans, tenant, webhooks};
use crate::server_fns::{page_context, Logout, SignIn};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Style, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// Who is looking at which host, and the actions that change it. Provided to
/// every page.
#[derive(Clone, Copy)]
pub struct SessionCtx {
    pub page: Resource<Result<PageCtx, AppError>>,
    pub sign_in: ServerAction<SignIn>,
    pub logout: ServerAction<Logout>,
    /// Bumped after a change that alters the page context (e.g. branding).
    pub refresh: RwSignal<u32>,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let sign_in = ServerAction::<SignIn>::new();
    let logout = ServerAction::<Logout>::new();
    let refresh = RwSignal::new(0u32);
    let page = Resource::new_blocking(
        move || {
            (
                sign_in.version().get(),
                logout.version().get(),
                refresh.get(),
            )
        },
        |_| page_context(),
    );
    provide_context(SessionCtx {
        page,
        sign_in,
        logout,
        refresh,
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/app.css" />
        <Suspense>{move || Suspend::new(async move { page.await.ok().map(|ctx| view! { <Theme ctx /> }) })}</Suspense>
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/console") view=console::home::ConsoleHome ssr=SsrMode::Async />
                <Route path=path!("/console/login") view=console::login::ConsoleLogin ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug") view=console::tenant::ConsoleTenant ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/domains") view=console::tenant::ConsoleTenantDomains ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/data") view=console::tenant::ConsoleTenantData ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/plan") view=console::tenant::ConsoleTenantPlan ssr=SsrMode::Async />
                <Route path=path!("/console/plans") view=console::plans::ConsolePlans ssr=SsrMode::Async />
                <Route path=path!("/console/meters") view=billing::ConsoleMeters ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/billing") view=console::tenant::ConsoleTenantBilling ssr=SsrMode::Async />
                <Route path=path!("/console/flags") view=console::flags::ConsoleFlags ssr=SsrMode::Async />
                <Route path=path!("/console/flags/:key") view=console::flags::ConsoleFlag ssr=SsrMode::Async />
                <Route path=path!("/console/audit") view=console::audit::ConsoleAudit ssr=SsrMode::Async />
                <Route path=path!("/console/jobs") view=console::jobs::ConsoleJobs ssr=SsrMode::Async />
                <Route path=path!("/console/mailbox") view=console::mailbox::ConsoleMailbox ssr=SsrMode::Async />
                <Route path=path!("/console/fleet") view=console::fleet::ConsoleFleet ssr=SsrMode::Async />
                <Route path=path!("/console/webhooks") view=webhooks::ConsoleWebhooks ssr=SsrMode::Async />
                <Route path=path!("/") view=tenant::projects::ProjectsPage ssr=SsrMode::Async />
                <Route path=path!("/login") view=tenant::login::TenantLoginPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=tenant::account::AcceptInvitationPage ssr=SsrMode::Async />
                <Route path=path!("/forgot") view=tenant::account::ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/verify/:token") view=tenant::account::VerifyEmailPage ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view=tenant::account::ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/projects/:id") view=tenant::project::ProjectPage ssr=SsrMode::Async />
                <Route path=path!("/admin") view=tenant::members::MembersPage ssr=SsrMode::Async />
                <Route path=path!("/admin/branding") view=tenant::branding::BrandingPage ssr=SsrMode::Async />
                <Route path=path!("/admin/webhooks") view=webhooks::TenantWebhooks ssr=SsrMode::Async />
                <Route path=path!("/admin/domains") view=domains::TenantDomains ssr=SsrMode::Async />
                <Route path=path!("/admin/data") view=exports::TenantData ssr=SsrMode::Async />
                <Route path=path!("/admin/plan") view=plans::TenantPlan ssr=SsrMode::Async />
                <Route path=path!("/admin/billing") view=billing::TenantBilling ssr=SsrMode::Async />
                <Route path=path!("/admin/api-keys") view=tenant::api_keys::ApiKeysPage ssr=SsrMode::Async />
                <Route path=path!("/admin/sso") view=tenant::sso::SsoPage ssr=SsrMode::Async />
                <Route path=path!("/admin/audit") view=tenant::audit::TenantAuditPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

/// The document title (the product name, else the display name) and the
/// brand colours as CSS variables, which the Tailwind theme's `brand` and
/// `accent` colours read, with their dark-mode variants. Colours are
/// validated `#rrggbb` values, so they are safe inside the style element.
#[component]
fn Theme(ctx: PageCtx) -> impl IntoView {
    match ctx.branding() {
        Some(b) => {
            let mut css = format!(
                ":root{{--brand-primary:{};--brand-accent:{};}}",
                b.primary_color, b.accent_color
            );
            // Dark mode uses the dark variants where the tenant set them.
            let dark_primary = b.primary_color_dark.as_deref().unwrap_or(&b.primary_color);
            let dark_accent = b.accent_color_dark.as_deref().unwrap_or(&b.accent_color);
            if b.primary_color_dark.is_some() || b.accent_color_dark.is_some() {
                css.push_str(&format!(
                    "@media (prefers-color-scheme: dark){{:root{{--brand-primary:{dark_primary};--brand-accent:{dark_accent};}}}}"
                ));
            }
            let title = b
                .product_name
                .clone()
                .unwrap_or_else(|| b.display_name.clone());
            let icon = b
                .favicon_url
                .clone()
                .unwrap_or_else(|| "/favicon.ico".into());
            view! {
                <Title text=title />
                <Style>{css}</Style>
                <Link rel="icon" href=icon />
            }
            .into_any()
        }
        None => view! {
            <Title text="Tenantry console" />
            <Link rel="icon" href="/favicon.ico" />
        }
        .into_any(),
    }
}
