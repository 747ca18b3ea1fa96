//! Building blocks shared by the pages.

use crate::app::SessionCtx;
use crate::dto::{BrandingDto, HostKind, PageCtx, Role, Viewer};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;

mod audit_log;
mod bar_chart;
mod list;
mod nav_link;
mod paging;
mod row_action;
// The page's HTTP status: the server sets it on its response, the browser
// has none to set.
#[cfg(feature = "ssr")]
#[path = "components/status_server.rs"]
mod status;
#[cfg(not(feature = "ssr"))]
#[path = "components/status_browser.rs"]
mod status;
mod theme;

pub use audit_log::{audit_query, AuditLog, AuditQuery};
pub use bar_chart::{Bar, BarChart};
pub use list::{versions, EmptyState, ListTable};
pub use nav_link::NavLink;
pub use paging::{
    encode_query_value, query_href, PageLinks, Paging, PagingButtons, PagingFilter, ORDERS,
};
pub use row_action::RowAction;
pub use theme::{Theme, ThemeChoice, THEME_COOKIE};

pub const BUTTON: &str =
    "rounded bg-brand px-3 py-1.5 text-sm font-medium text-white hover:opacity-90";
pub const BUTTON_QUIET: &str =
    "rounded border border-slate-300 bg-surface px-3 py-1.5 text-sm hover:bg-slate-100";
pub const BUTTON_DANGER: &str =
    "rounded bg-danger px-3 py-1.5 text-sm font-medium text-white hover:bg-danger-strong";
pub const INPUT: &str = "mt-1 block w-full rounded border border-slate-300 px-2 py-1.5 text-sm aria-[invalid=true]:border-red-600";
pub const CARD: &str = "rounded-lg border border-slate-200 bg-surface p-5 shadow-sm";

#[component]
pub fn NotFound() -> impl IntoView {
    status::not_found();
    view! {
        <main class="mx-auto max-w-md p-10 text-center">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <p class="mt-2 text-slate-600">"There is nothing here."</p>
        </main>
    }
}

/// The error of the last submission, as a line above the form.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let field = e.field.clone().unwrap_or_default();
            view! {
                <p role="alert" class="mb-3 rounded bg-red-50 px-3 py-2 text-sm text-red-700" data-field=field>
                    {e.to_string()}
                </p>
            }
        })
    }
}

/// A labelled input that marks itself invalid when the error is about it.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional, into)] placeholder: String,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.for_field(name));
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">{label}</span>
            <input
                class=INPUT
                type=kind
                name=name
                value=value
                placeholder=placeholder
                aria-invalid=move || message().map(|_| "true")
            />
            {move || message().map(|m| view! { <span class="text-xs text-red-700" data-error-for=name>{m}</span> })}
        </label>
    }
}

/// Whether a boolean feature flag is on for whoever is looking: read from
/// the page context, which the server evaluates for this tenant and viewer.
pub fn use_flag(key: &'static str) -> Signal<bool> {
    let session = expect_context::<SessionCtx>();
    Signal::derive(move || {
        session
            .page
            .get()
            .and_then(|page| page.ok())
            .is_some_and(|page| page.flag_on(key))
    })
}

/// Error of an action's last result.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

fn page_error(e: AppError) -> AnyView {
    view! {
        <main class="mx-auto max-w-md p-10 text-center">
            <p role="alert" class="text-red-700">{e.to_string()}</p>
        </main>
    }
    .into_any()
}

/// Awaits the page context, then renders what `frame` makes of it.
fn with_page_ctx<F>(frame: F) -> impl IntoView
where
    F: Fn(PageCtx) -> AnyView + Clone + Send + Sync + 'static,
{
    let session = expect_context::<SessionCtx>();
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-slate-500">"Loading…"</p> }>
            {move || {
                let frame = frame.clone();
                Suspend::new(async move {
                    let page = match session.page.await {
                        Ok(ctx) => frame(ctx),
                        Err(e) => page_error(e),
                    };
                    view! { {page} <HydratedMark /> }.into_any()
                })
            }}
        </Suspense>
    }
}

/// Marks the document once the browser has hydrated the page's frame and
/// content (end-to-end tests wait for it before using client-side
/// behaviour). It sits inside the page context's Suspense: a mark set by the
/// root would come before the content under it is hydrated, and a click in
/// that moment reaches a button with no handler yet.
#[component]
fn HydratedMark() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Frame of every tenant page: shows the suspended page or asks for sign-in as
/// needed, then the branded header and the page.
#[component]
pub fn TenantShell(
    #[prop(optional)] public: bool,
    #[prop(optional)] admin_only: bool,
    children: ChildrenFn,
) -> impl IntoView {
    with_page_ctx(move |ctx: PageCtx| {
        let is_admin = ctx.is_admin();
        let PageCtx {
            host,
            viewer,
            impersonation,
            ..
        } = ctx;
        match host {
            HostKind::Console | HostKind::Site => view! { <NotFound /> }.into_any(),
            HostKind::Tenant {
                suspended: true,
                branding,
                ..
            } => view! { <Suspended branding=*branding /> }.into_any(),
            HostKind::Tenant {
                branding,
                billing_notice,
                ..
            } => {
                let branding = *branding;
                if !public && viewer.is_none() {
                    return view! { <Redirect path="/login" /> }.into_any();
                }
                if admin_only && !is_admin {
                    return page_error(AppError::new(
                        "forbidden",
                        "only owners and admins can see this page",
                    ));
                }
                let support = branding.support_email.clone();
                view! {
                    {impersonation.map(|i| view! { <ImpersonationBanner i /> })}
                    {billing_notice.map(|notice| view! {
                        <div class="bg-red-100 px-6 py-2 text-sm text-red-900" role="alert" data-testid="past-due-banner">
                            <div class="mx-auto max-w-4xl">{notice}</div>
                        </div>
                    })}
                    <TenantHeader branding viewer />
                    {if admin_only {
                        view! {
                            <div class="mx-auto flex max-w-6xl gap-8 p-6">
                                <SettingsNav />
                                <main class="min-w-0 grow">{children()}</main>
                            </div>
                        }
                        .into_any()
                    } else {
                        view! { <main class="mx-auto max-w-4xl p-6">{children()}</main> }.into_any()
                    }}
                    <SupportFooter email=support />
                }
                .into_any()
            }
        }
    })
}

/// On every page of a support session: who is really acting, until when,
/// and the way out.
#[component]
fn ImpersonationBanner(i: crate::dto::ImpersonationDto) -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    view! {
        <div class="bg-amber-300 px-6 py-2 text-sm text-slate-900" role="alert" data-testid="impersonation-banner">
            <div class="mx-auto flex max-w-4xl items-center gap-3">
                <span>{format!(
                    "Support session: {} is acting as {} until {} ({})",
                    i.admin_email, i.user_email, i.expires_at, i.reason
                )}</span>
                <ActionForm action=session.logout>
                    <button type="submit" class="ml-auto underline">"End support session"</button>
                </ActionForm>
            </div>
        </div>
    }
}

/// Where the tenant's users get help, when the tenant says so.
#[component]
fn SupportFooter(email: Option<String>) -> impl IntoView {
    email.map(|email| {
        let href = format!("mailto:{email}");
        view! {
            <footer class="mx-auto max-w-4xl px-6 pb-6 text-sm text-slate-500" data-testid="support">
                "Need help? " <a class="underline" href=href>{email}</a>
            </footer>
        }
    })
}

#[component]
fn Suspended(branding: BrandingDto) -> impl IntoView {
    view! {
        <main class="mx-auto max-w-lg p-10 text-center" data-testid="suspended">
            <div class="mb-6 text-2xl font-semibold text-brand-text">{branding.display_name}</div>
            <h1 class="text-xl font-semibold">"This workspace is suspended"</h1>
            <p class="mt-2 text-slate-600">"Sign-in and changes are unavailable. Please contact your administrator."</p>
        </main>
        <SupportFooter email=branding.support_email />
    }
}

#[component]
fn TenantHeader(branding: BrandingDto, viewer: Option<Viewer>) -> impl IntoView {
    let is_admin = viewer
        .as_ref()
        .is_some_and(|v| v.role.is_some_and(Role::can_administer));
    view! {
        <header class="bg-brand text-white" data-testid="tenant-header">
            <div class="mx-auto flex max-w-6xl items-center gap-4 px-6 py-3">
                {branding.logo_url.map(|src| view! { <img src=src alt="" class="h-8 w-8 rounded bg-white object-contain" /> })}
                <NavLink href="/" attr:class="text-lg font-semibold">{branding.display_name}</NavLink>
                <nav class="ml-auto flex items-center gap-4 whitespace-nowrap text-sm">
                    {viewer
                        .map(|v| {
                            view! {
                                <NavLink href="/" exact=true>"Projects"</NavLink>
                                // The admin area has its own navigation
                                // (`SettingsNav`); the header keeps to the product.
                                {is_admin.then(|| view! { <NavLink href="/admin">"Settings"</NavLink> })}
                                {nav_links(crate::nav::TENANT_MEMBER)}
                                <SignedInAs email=v.email class="rounded bg-accent px-2 py-0.5" />
                            }
                        })}
                    <ThemeChoice />
                </nav>
            </div>
        </header>
    }
}

/// The admin area's own navigation, beside every admin page: one link per
/// entry of `nav::TENANT_ADMIN`, the current page marked.
#[component]
fn SettingsNav() -> impl IntoView {
    view! {
        <nav aria-label="Settings" class="w-44 shrink-0" data-testid="settings-nav">
            <p class="mb-2 px-3 text-xs font-semibold uppercase tracking-wide text-slate-500">"Settings"</p>
            <ul class="space-y-0.5 text-sm">
                {crate::nav::TENANT_ADMIN
                    .iter()
                    .map(|(path, label)| view! {
                        <li>
                            <NavLink
                                href=*path
                                exact=true
                                attr:class="block rounded px-3 py-1.5 text-slate-700 hover:bg-slate-200 aria-[current=page]:bg-surface aria-[current=page]:font-semibold aria-[current=page]:text-slate-900 aria-[current=page]:shadow-sm"
                            >
                                {*label}
                            </NavLink>
                        </li>
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// Who is signed in, and the sign-out button.
#[component]
fn SignedInAs(email: String, class: &'static str) -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    view! {
        <span class=class data-testid="viewer">{email}</span>
        <ActionForm action=session.logout>
            <button type="submit" class="underline">"Sign out"</button>
        </ActionForm>
    }
}

/// Frame of every console page: signed-in superadmins only.
#[component]
pub fn ConsoleShell(#[prop(optional)] public: bool, children: ChildrenFn) -> impl IntoView {
    with_page_ctx(move |ctx: PageCtx| {
        if ctx.host != HostKind::Console {
            return view! { <NotFound /> }.into_any();
        }
        if !public && ctx.viewer.is_none() {
            return view! { <Redirect path="/console/login" /> }.into_any();
        }
        view! {
            <header class="bg-chrome text-white">
                <div class="mx-auto flex max-w-6xl items-center gap-4 px-6 py-3">
                    <NavLink href="/console" attr:class="whitespace-nowrap text-lg font-semibold">"Tenantry console"</NavLink>
                    // Each link on one line; the list wraps between links.
                    <nav class="ml-auto flex flex-wrap items-center justify-end gap-x-3 gap-y-1 whitespace-nowrap text-sm">
                        {ctx.viewer.map(|v| view! {
                            {nav_links(crate::nav::CONSOLE)}
                            <SignedInAs email=v.email class="" />
                        })}
                        <ThemeChoice />
                    </nav>
                </div>
            </header>
            <main class="mx-auto max-w-6xl p-6">{children()}</main>
        }
        .into_any()
    })
}

/// Frame of the platform's public site on the base host: its name, then
/// the page. Nobody is signed in here.
#[component]
pub fn SiteShell(children: ChildrenFn) -> impl IntoView {
    with_page_ctx(move |ctx: PageCtx| {
        if ctx.host != HostKind::Site {
            return view! { <NotFound /> }.into_any();
        }
        view! {
            <header class="border-b border-slate-200 bg-surface">
                <div class="mx-auto flex max-w-5xl items-center px-6 py-3">
                    <a href="/signup" class="text-lg font-semibold text-slate-900">"Tenantry"</a>
                    <span class="ml-auto"><ThemeChoice /></span>
                </div>
            </header>
            <main class="mx-auto max-w-5xl p-6">{children()}</main>
        }
        .into_any()
    })
}

/// The sign-in form, the same on the console and on tenant hosts (the server
/// function signs in whoever this host is for). After a right password it
/// asks for a second factor, or for one to be set up, when there is one or
/// one is required.
#[component]
pub fn SignInForm(title: &'static str) -> impl IntoView {
    use crate::features::session::api::SignInStep;
    let session = expect_context::<SessionCtx>();
    let error = action_error(session.sign_in);
    let step = move || session.sign_in.value().get().and_then(Result::ok);
    move || {
        match step() {
        Some(SignInStep::Code) => view! { <SecondFactorStep enrolment=None /> }.into_any(),
        Some(SignInStep::Enrol(e)) => view! { <SecondFactorStep enrolment=Some(e) /> }.into_any(),
        _ => view! {
            <h1 class="mb-2 text-xl font-semibold">{title}</h1>
            <FormError error />
            <ActionForm action=session.sign_in>
                <div class="space-y-3">
                    <Field label="Email" name="email" kind="email" error />
                    <Field label="Password" name="password" kind="password" error />
                    <button type="submit" class=BUTTON disabled=move || session.sign_in.pending().get()>"Sign in"</button>
                </div>
            </ActionForm>
        }
        .into_any(),
    }
    }
}

/// Signing in, second step: a code (or a recovery code); or, for someone
/// who must set a factor up, its QR code and first code, then the recovery
/// codes once.
#[component]
fn SecondFactorStep(
    enrolment: Option<crate::features::two_factor::api::EnrolmentDto>,
) -> impl IntoView {
    use crate::features::two_factor::panel::{CodeField, EnrolmentShown, RecoveryCodes};
    let code = expect_context::<SessionCtx>().sign_in_code;
    let error = action_error(code);
    let ticket = enrolment
        .as_ref()
        .map(|e| e.ticket.clone())
        .unwrap_or_default();
    let intro = match &enrolment {
        Some(_) => "Two-factor sign-in is required for your account. Scan this code with an authenticator app, then enter the 6-digit code it shows.",
        None => "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
    };
    let shown = enrolment.clone();
    let done = move || code.value().get().and_then(Result::ok);
    move || {
        let (ticket, shown) = (ticket.clone(), shown.clone());
        match done() {
        Some(signed_in) if !signed_in.recovery_codes.is_empty() => view! {
            <h1 class="mb-2 text-xl font-semibold">"Two-factor sign-in is on"</h1>
            <RecoveryCodes codes=signed_in.recovery_codes />
            <a class=format!("{BUTTON} mt-4 inline-block") rel="external" href=signed_in.home>"Continue"</a>
        }
        .into_any(),
        _ => view! {
            <h1 class="mb-2 text-xl font-semibold">"Two-factor sign-in"</h1>
            <p class="mb-3 text-sm text-slate-600">{intro}</p>
            {shown.map(|e| view! { <EnrolmentShown e /> })}
            <FormError error />
            <ActionForm action=code>
                <input type="hidden" name="ticket" value=ticket />
                <div class="space-y-3">
                    <CodeField error />
                    <button type="submit" class=BUTTON disabled=move || code.pending().get()>"Verify"</button>
                </div>
            </ActionForm>
        }
        .into_any(),
        }
    }
}

/// A form reference that clears its form after each successful submission
/// of `action` (the list beside it already shows the new row).
pub fn cleared_on_success<I, O>(action: ServerAction<I>) -> NodeRef<leptos::html::Form>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(element)) = (action.value().get(), form.get_untracked()) {
            element.reset();
        }
    });
    form
}

/// A resource's value rendered by `render` once loaded, or its error.
pub fn loaded<T, F, V>(resource: Resource<Result<T, AppError>>, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(e) => view! { <p role="alert" class="text-red-700">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The role picker of the member, invitation and API-key forms, one option
/// per role offered, in the order given.
#[component]
pub fn RoleSelect(label: &'static str, roles: &'static [Role]) -> impl IntoView {
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">{label}</span>
            <select class=INPUT name="role">
                {roles.iter().map(|role| view! { <option value=role.as_str()>{role.as_str()}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// One header link per entry of a navigation table (`crate::nav`).
fn nav_links(links: &'static [(&'static str, &'static str)]) -> impl IntoView {
    links
        .iter()
        .map(|(path, label)| view! { <NavLink href=*path>{*label}</NavLink> })
        .collect_view()
}
