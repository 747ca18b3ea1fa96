use crate::components::{
    action_error, loaded, ConsoleShell, Field, FormError, NavLink, RowAction, BUTTON,
    BUTTON_DANGER, BUTTON_QUIET, CARD,
};
use crate::dto::TenantState;
use crate::features::activity::page::ActivityPanel;
use crate::features::billing::page::BillingPanel;
use crate::features::console::api::{
    get_tenant, ActivateTenant, DeleteTenant, PurgeTenant, ReceiptDto, ResumeTenant, SuspendTenant,
    TenantDetail,
};
use crate::features::data_keys::page::DataKeyPanel;
use crate::features::domains::page::DomainManager;
use crate::features::exports::page::{ExportPanel, WorkPanel};
use crate::features::payments::console_page::PaymentsPanel;
use crate::features::placements::page::Placement;
use crate::features::plans::page::PlanPanel;
use crate::features::restores::page::RestorePanel;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ConsoleTenant() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let actions = Lifecycle {
        activate: ServerAction::new(),
        suspend: ServerAction::new(),
        resume: ServerAction::new(),
        delete: ServerAction::new(),
        purge: ServerAction::new(),
    };
    let moved = RwSignal::new(0u32);
    let detail = Resource::new(
        move || {
            (
                slug(),
                actions.activate.version().get(),
                actions.suspend.version().get(),
                actions.resume.version().get(),
                moved.get(),
            )
        },
        |(slug, ..)| get_tenant(slug),
    );
    let error = Signal::derive(move || {
        action_error(actions.activate)
            .get()
            .or(action_error(actions.suspend).get())
            .or(action_error(actions.resume).get())
            .or(action_error(actions.delete).get())
            .or(action_error(actions.purge).get())
    });
    let receipt = move || actions.purge.value().get().and_then(|r| r.ok());
    view! {
        <ConsoleShell>
            {move || receipt().map(|r| view! { <Receipt r /> })}
            {loaded(detail, move |d| view! { <Detail d actions error moved /> })}
            {move || view! { <super::impersonate_page::ImpersonateForm slug=slug() /> }}
        </ConsoleShell>
    }
}

/// The lifecycle transitions a superadmin can make from this page.
#[derive(Clone, Copy)]
struct Lifecycle {
    activate: ServerAction<ActivateTenant>,
    suspend: ServerAction<SuspendTenant>,
    resume: ServerAction<ResumeTenant>,
    delete: ServerAction<DeleteTenant>,
    purge: ServerAction<PurgeTenant>,
}

/// The deletion receipt of a purge: every store's count before and after.
#[component]
fn Receipt(r: ReceiptDto) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mb-6") data-testid="deletion-receipt">
            <h2 class="text-lg font-semibold">{format!("Purged {} at {}", r.slug, r.purged_at)}</h2>
            <p class="mb-3 text-sm" class:text-green-700=r.complete class:text-red-700=!r.complete>
                {if r.complete { "Nothing of the tenant remains in any store." } else { "Some records remain: see below." }}
            </p>
            <table class="w-full text-left text-sm">
                <thead><tr class="border-b text-slate-500"><th class="py-1">"Store"</th><th>"Before"</th><th>"After"</th></tr></thead>
                <tbody>
                    {r.stores.into_iter().map(|(store, before, after)| view! {
                        <tr class="border-b"><td class="py-1 font-mono text-xs">{store}</td><td>{before}</td><td>{after}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Detail(
    d: TenantDetail,
    actions: Lifecycle,
    error: Signal<Option<crate::error::AppError>>,
    moved: RwSignal<u32>,
) -> impl IntoView {
    let t = d.tenant;
    let Lifecycle {
        activate,
        suspend,
        resume,
        delete,
        purge,
    } = actions;
    let (slug_activate, slug_suspend) = (t.slug.clone(), t.slug.clone());
    let (slug_resume, slug_delete, slug_purge) = (t.slug.clone(), t.slug.clone(), t.slug.clone());
    let state = t.state;
    view! {
        <section class=CARD>
            <h1 class="text-xl font-semibold">{t.name.clone()}</h1>
            <dl class="mt-4 grid grid-cols-2 gap-2 text-sm">
                <dt class="text-slate-500">"Slug"</dt><dd>{t.slug.clone()}</dd>
                <dt class="text-slate-500">"Id"</dt><dd class="font-mono" data-testid="tenant-id">{t.id.clone()}</dd>
                <dt class="text-slate-500">"State"</dt><dd data-testid="tenant-state">{t.state.as_str()}</dd>
                <dt class="text-slate-500">"Placement"</dt>
                <dd data-testid="tenant-placement">
                    {t.placement.clone()}
                    {t.location.clone().map(|l| view! { <span class="ml-2 font-mono text-xs text-slate-500">{l}</span> })}
                </dd>
                <dt class="text-slate-500">"Created"</dt><dd>{t.created_at.clone()}</dd>
                <dt class="text-slate-500">"URL"</dt><dd><a class="text-indigo-700 underline" href=d.url.clone()>{d.url.clone()}</a></dd>
                <dt class="text-slate-500">"Manage"</dt>
                <dd class="flex gap-4">
                    <NavLink href=format!("/console/tenants/{}/domains", t.slug) attr:class="text-indigo-700 underline">"Custom domains"</NavLink>
                    <NavLink href=format!("/console/tenants/{}/data", t.slug) attr:class="text-indigo-700 underline">"Data export"</NavLink>
                    <NavLink href=format!("/console/tenants/{}/plan", t.slug) attr:class="text-indigo-700 underline">"Plan and limits"</NavLink>
                    <NavLink href=format!("/console/tenants/{}/billing", t.slug) attr:class="text-indigo-700 underline">"Usage and billing"</NavLink>
                    <NavLink href=format!("/console/tenants/{}/payments", t.slug) attr:class="text-indigo-700 underline">"Payments"</NavLink>
                    <NavLink href=format!("/console/tenants/{}/activity", t.slug) attr:class="text-indigo-700 underline">"Activity and cost"</NavLink>
                </dd>
                <dt class="text-slate-500">"Colours"</dt>
                <dd class="flex gap-2">
                    <span class="inline-block h-5 w-10 rounded" style:background-color=d.branding.primary_color.clone()></span>
                    <span class="inline-block h-5 w-10 rounded" style:background-color=d.branding.accent_color.clone()></span>
                </dd>
            </dl>
        </section>
        <Placement slug=t.slug.clone() placement=t.placement.clone() moved />
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Lifecycle"</h2>
            <FormError error />
            <crate::features::two_factor::panel::FreshFactorPrompt error />
            <div class="flex flex-wrap items-end gap-4">
                {(state == TenantState::Pending).then(move || view! {
                    <RowAction action=activate name="slug" value=slug_activate label="Activate" class=BUTTON />
                })}
                {(state == TenantState::Active).then(move || view! {
                    <RowAction action=suspend name="slug" value=slug_suspend label="Suspend" class=BUTTON_QUIET />
                })}
                {(state == TenantState::Suspended).then(move || view! {
                    <RowAction action=resume name="slug" value=slug_resume label="Resume" class=BUTTON />
                })}
                {(state == TenantState::Deleted).then(move || view! {
                    <ActionForm action=purge>
                        <input type="hidden" name="slug" value=slug_purge />
                        <div class="flex items-end gap-2">
                            <Field label="Type the slug to purge now" name="confirm" error />
                            <button type="submit" class=BUTTON_DANGER>"Purge now"</button>
                        </div>
                    </ActionForm>
                })}
                {(state != TenantState::Deleted).then(move || view! {
                    <ActionForm action=delete>
                        <input type="hidden" name="slug" value=slug_delete />
                        <div class="flex items-end gap-2">
                            <Field label="Type the slug to delete" name="confirm" error />
                            <button type="submit" class=BUTTON_DANGER>"Delete tenant"</button>
                        </div>
                    </ActionForm>
                })}
            </div>
        </section>
    }
}

/// The slug of the tenant a console sub-page is about, read once: another
/// tenant is another page.
fn page_slug() -> String {
    use_params_map()
        .read_untracked()
        .get("slug")
        .unwrap_or_default()
}

/// A console page about one tenant, with the way back to its page.
#[component]
fn TenantSubPage(slug: String, children: ChildrenFn) -> impl IntoView {
    let back = format!("/console/tenants/{slug}");
    view! {
        <ConsoleShell>
            <p class="mb-4 text-sm"><NavLink href=back.clone()>"← back to the tenant"</NavLink></p>
            {children()}
        </ConsoleShell>
    }
}

/// The tenant's custom domains, managed by a superadmin.
#[component]
pub fn ConsoleTenantDomains() -> impl IntoView {
    let slug = page_slug();
    view! { <TenantSubPage slug=slug.clone()><DomainManager slug=slug.clone() /></TenantSubPage> }
}

/// The tenant's plan, usage and overrides, managed by a superadmin.
#[component]
pub fn ConsoleTenantPlan() -> impl IntoView {
    let slug = page_slug();
    view! { <TenantSubPage slug=slug.clone()><PlanPanel slug=slug.clone() /></TenantSubPage> }
}

/// The tenant's usage, invoices and standing, managed by a superadmin.
#[component]
pub fn ConsoleTenantBilling() -> impl IntoView {
    let slug = page_slug();
    view! { <TenantSubPage slug=slug.clone()><BillingPanel slug=slug.clone() /></TenantSubPage> }
}

/// The tenant's Stripe account and its payments' volume and fees.
#[component]
pub fn ConsoleTenantPayments() -> impl IntoView {
    let slug = page_slug();
    view! { <TenantSubPage slug=slug.clone()><PaymentsPanel slug=slug.clone() /></TenantSubPage> }
}

/// The tenant's requests, failures, latency and cost share.
#[component]
pub fn ConsoleTenantActivity() -> impl IntoView {
    let slug = page_slug();
    view! { <TenantSubPage slug=slug.clone()><ActivityPanel slug=slug.clone() /></TenantSubPage> }
}

/// The tenant's data exports, requested and followed by a superadmin.
#[component]
pub fn ConsoleTenantData() -> impl IntoView {
    let slug = page_slug();
    view! {
        <TenantSubPage slug=slug.clone()>
            <ExportPanel slug=slug.clone() />
            <DataKeyPanel slug=slug.clone() />
            <RestorePanel slug=slug.clone() />
            <WorkPanel slug=slug.clone() />
        </TenantSubPage>
    }
}
