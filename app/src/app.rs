use crate::components::NotFound;
use crate::dto::PageCtx;
use crate::error::AppError;
use crate::features;
use crate::features::session::api::{page_context, Logout, SignIn, SignInCode};
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
    /// The second step of a sign-in (a code from the authenticator app).
    pub sign_in_code: ServerAction<SignInCode>,
    pub logout: ServerAction<Logout>,
    /// Bumped after a change that alters the page context (e.g. branding).
    pub refresh: RwSignal<u32>,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let sign_in = ServerAction::<SignIn>::new();
    let sign_in_code = ServerAction::<SignInCode>::new();
    let logout = ServerAction::<Logout>::new();
    let refresh = RwSignal::new(0u32);
    let page = Resource::new_blocking(
        move || {
            (
                sign_in.version().get(),
                // Only once it signs in: a wrong code keeps the form as typed.
                sign_in_code.value().get().and_then(Result::ok),
                logout.version().get(),
                refresh.get(),
            )
        },
        |_| page_context(),
    );
    // Signed out: the next sign-in starts again from the password.
    Effect::new(move |_| {
        if logout.version().get() > 0 {
            sign_in.value().set(None);
            sign_in_code.value().set(None);
        }
    });
    provide_context(SessionCtx {
        page,
        sign_in,
        sign_in_code,
        logout,
        refresh,
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/app.css" />
        <Suspense>{move || Suspend::new(async move { page.await.ok().map(|ctx| view! { <Theme ctx /> }) })}</Suspense>
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                // Tried in order: a tenant's pages, most of the traffic, come first.
                <Route path=path!("/") view=features::product::page::ProjectsPage ssr=SsrMode::Async />
                <Route path=path!("/login") view=features::session::page::TenantLoginPage ssr=SsrMode::Async />
                <Route path=path!("/signup") view=features::signup::page::SignupPage ssr=SsrMode::Async />
                <Route path=path!("/welcome") view=features::signup::welcome_page::WelcomePage ssr=SsrMode::Async />
                <Route path=path!("/account") view=features::account::page::AccountPage ssr=SsrMode::Async />
                <Route path=path!("/account/email/:token") view=features::account::page::ConfirmEmailChangePage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=features::invitations::account_page::AcceptInvitationPage ssr=SsrMode::Async />
                <Route path=path!("/forgot") view=features::invitations::account_page::ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/verify/:token") view=features::invitations::account_page::VerifyEmailPage ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view=features::invitations::account_page::ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/projects/:id") view=features::product::project_page::ProjectPage ssr=SsrMode::Async />
                <Route path=path!("/admin") view=features::members::page::MembersPage ssr=SsrMode::Async />
                <Route path=path!("/admin/branding") view=features::members::branding_page::BrandingPage ssr=SsrMode::Async />
                <Route path=path!("/admin/webhooks") view=features::webhooks::page::TenantWebhooks ssr=SsrMode::Async />
                <Route path=path!("/admin/domains") view=features::domains::page::TenantDomains ssr=SsrMode::Async />
                <Route path=path!("/admin/data") view=features::exports::page::TenantData ssr=SsrMode::Async />
                <Route path=path!("/admin/plan") view=features::plans::page::TenantPlan ssr=SsrMode::Async />
                <Route path=path!("/admin/billing") view=features::billing::page::TenantBilling ssr=SsrMode::Async />
                <Route path=path!("/admin/payments") view=features::payments::page::TenantPayments ssr=SsrMode::Async />
                <Route path=path!("/shop") view=features::payments::shop_page::ShopPage ssr=SsrMode::Async />
                <Route path=path!("/shop/purchases/:id") view=features::payments::shop_page::PurchasePage ssr=SsrMode::Async />
                <Route path=path!("/admin/api-keys") view=features::api_keys::page::ApiKeysPage ssr=SsrMode::Async />
                <Route path=path!("/admin/sso") view=features::sso::page::SsoPage ssr=SsrMode::Async />
                <Route path=path!("/admin/audit") view=features::tenant_audit::page::TenantAuditPage ssr=SsrMode::Async />
                <Route path=path!("/console") view=features::console::page::ConsoleHome ssr=SsrMode::Async />
                <Route path=path!("/console/login") view=features::session::console_page::ConsoleLogin ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug") view=features::console::tenant_page::ConsoleTenant ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/domains") view=features::console::tenant_page::ConsoleTenantDomains ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/data") view=features::console::tenant_page::ConsoleTenantData ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/plan") view=features::console::tenant_page::ConsoleTenantPlan ssr=SsrMode::Async />
                <Route path=path!("/console/plans") view=features::plans::console_page::ConsolePlans ssr=SsrMode::Async />
                <Route path=path!("/console/meters") view=features::billing::page::ConsoleMeters ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/billing") view=features::console::tenant_page::ConsoleTenantBilling ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/activity") view=features::console::tenant_page::ConsoleTenantActivity ssr=SsrMode::Async />
                <Route path=path!("/console/tenants/:slug/payments") view=features::console::tenant_page::ConsoleTenantPayments ssr=SsrMode::Async />
                <Route path=path!("/console/payments") view=features::payments::console_page::ConsolePayments ssr=SsrMode::Async />
                <Route path=path!("/console/costs") view=features::activity::page::ConsoleCosts ssr=SsrMode::Async />
                <Route path=path!("/console/flags") view=features::flags::page::ConsoleFlags ssr=SsrMode::Async />
                <Route path=path!("/console/flags/:key") view=features::flags::page::ConsoleFlag ssr=SsrMode::Async />
                <Route path=path!("/console/audit") view=features::console::audit_page::ConsoleAudit ssr=SsrMode::Async />
                <Route path=path!("/console/jobs") view=features::jobs::page::ConsoleJobs ssr=SsrMode::Async />
                <Route path=path!("/console/mailbox") view=features::console::mailbox_page::ConsoleMailbox ssr=SsrMode::Async />
                <Route path=path!("/console/fleet") view=features::placements::fleet_page::ConsoleFleet ssr=SsrMode::Async />
                <Route path=path!("/console/webhooks") view=features::webhooks::page::ConsoleWebhooks ssr=SsrMode::Async />
                <Route path=path!("/console/account") view=features::account::console_page::ConsoleAccount ssr=SsrMode::Async />
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
            // Each colour follows the page's scheme: the dark variant where
            // the tenant set one (`light-dark()` picks by `color-scheme`).
            let dark_primary = b.primary_color_dark.as_deref().unwrap_or(&b.primary_color);
            let dark_accent = b.accent_color_dark.as_deref().unwrap_or(&b.accent_color);
            let css = format!(
                ":root{{--brand-primary:light-dark({},{dark_primary});--brand-accent:light-dark({},{dark_accent});}}",
                b.primary_color, b.accent_color
            );
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
