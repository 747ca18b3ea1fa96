//! A tenant's plan: what it grants and how much of each limit and quota is
//! used (progress bars). Tenant admins see it at `/admin/plan`; on the
//! console's tenant page a superadmin can also move the tenant to another
//! plan and set or remove overrides.

use crate::components::{
    action_error, loaded, Field, FormError, TenantShell, BUTTON, BUTTON_QUIET, CARD, INPUT,
};
use crate::features::plans::api::{
    plan_usage, AssignPlan, EntitlementDef, OverrideDto, PlanUsageDto, RemoveOverride, SetOverride,
    UsageDto,
};
use leptos::prelude::*;

#[component]
pub fn TenantPlan() -> impl IntoView {
    view! {
        <TenantShell admin_only=true>
            <PlanPanel slug=String::new() />
        </TenantShell>
    }
}

#[derive(Clone, Copy)]
struct ConsoleActions {
    assign: ServerAction<AssignPlan>,
    set: ServerAction<SetOverride>,
    remove: ServerAction<RemoveOverride>,
}

#[component]
pub fn PlanPanel(slug: String) -> impl IntoView {
    let actions = ConsoleActions {
        assign: ServerAction::new(),
        set: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let usage = Resource::new(
        move || {
            (
                slug.clone(),
                actions.assign.version().get(),
                actions.set.version().get(),
                actions.remove.version().get(),
            )
        },
        |(slug, ..)| plan_usage(slug),
    );
    view! { {loaded(usage, move |u| view! { <PlanView u actions /> })} }
}

#[component]
fn PlanView(u: PlanUsageDto, actions: ConsoleActions) -> impl IntoView {
    let on_console = !u.plans.is_empty();
    let (features, measured): (Vec<UsageDto>, Vec<UsageDto>) =
        u.rows.into_iter().partition(|r| r.kind == "feature");
    view! {
        <section class=CARD data-testid="plan">
            <h2 class="text-lg font-semibold">
                "Plan: " <span data-testid="plan-name">{u.plan_name.clone()}</span>
                <span class="ml-2 text-sm font-normal text-slate-500">{format!("tier {} · quotas {}", u.tier, u.quota_enforcement)}</span>
            </h2>
            <ul class="mt-3 flex flex-wrap gap-2 text-sm">
                {features.into_iter().map(|f| view! {
                    <li class="rounded px-2 py-0.5"
                        class=("bg-green-100", f.enabled) class=("bg-slate-100", !f.enabled) class=("text-slate-500", !f.enabled)
                        data-feature=f.key.clone() data-enabled=f.enabled.to_string()>
                        {if f.enabled { "✓ " } else { "✗ " }}{f.label}{f.overridden.then_some(" (override)")}
                    </li>
                }).collect_view()}
            </ul>
            <div class="mt-4 space-y-3">
                {measured.into_iter().map(|m| view! { <Meter m /> }).collect_view()}
            </div>
            {(!on_console).then(|| view! {
                <p class="mt-4 text-sm text-slate-600">"To raise a limit, ask us to move your organisation to a larger plan."</p>
            })}
        </section>
        {on_console.then(|| view! { <ConsoleControls slug=u.slug.clone() plan=u.plan_key.clone() plans=u.plans.clone() overrides=u.overrides.clone() registry=u.registry.clone() actions /> })}
    }
}

/// One limit or quota: used of allowed, as a bar.
#[component]
fn Meter(m: UsageDto) -> impl IntoView {
    let limit_text = match m.limit {
        Some(l) => l.to_string(),
        None => "unlimited".into(),
    };
    let period = m
        .period
        .clone()
        .map(|p| format!(" this {p}"))
        .unwrap_or_default();
    let text = match m.used {
        Some(used) => format!("{used} of {limit_text}{period}"),
        None => limit_text.clone(),
    };
    let percent = match (m.used, m.limit) {
        (Some(used), Some(limit)) if limit > 0 => (used * 100 / limit).clamp(0, 100),
        (Some(_), Some(_)) => 100,
        _ => 0,
    };
    let full = percent >= 100;
    let warn = percent >= 80;
    view! {
        <div data-meter=m.key.clone()>
            <div class="flex justify-between text-sm">
                <span>{m.label}{m.overridden.then_some(" (override)")}</span>
                <span class="text-slate-600" data-testid=format!("meter-{}", m.key)>{text}</span>
            </div>
            {(m.used.is_some() && m.limit.is_some()).then(|| view! {
                <div class="mt-1 h-2 w-full rounded bg-slate-100" role="progressbar"
                    aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string() aria-label=m.key.clone()>
                    <div class="h-2 rounded"
                        class=("bg-red-600", full) class=("bg-amber-500", warn && !full) class=("bg-brand", !warn)
                        style:width=format!("{percent}%")></div>
                </div>
            })}
        </div>
    }
}

#[component]
fn ConsoleControls(
    slug: String,
    plan: String,
    plans: Vec<(String, String)>,
    overrides: Vec<OverrideDto>,
    registry: Vec<EntitlementDef>,
    actions: ConsoleActions,
) -> impl IntoView {
    let assign_error = action_error(actions.assign);
    let set_error = action_error(actions.set);
    let remove_error = action_error(actions.remove);
    let (slug_assign, slug_set) = (slug.clone(), slug.clone());
    view! {
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Change plan"</h2>
            <FormError error=assign_error />
            <ActionForm action=actions.assign>
                <input type="hidden" name="slug" value=slug_assign />
                <div class="flex items-end gap-2">
                    <label class="block text-sm">
                        <span class="font-medium text-slate-700">"Plan"</span>
                        <select class=INPUT name="plan" data-testid="plan-select">
                            {plans.into_iter().map(|(key, name)| {
                                let selected = key == plan;
                                view! { <option value=key.clone() selected=selected>{format!("{name} ({key})")}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class=BUTTON>"Move to plan"</button>
                </div>
            </ActionForm>
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Overrides"</h2>
            <FormError error=remove_error />
            <table class="mb-4 w-full text-left text-sm" data-testid="overrides">
                <thead><tr class="border-b text-slate-500"><th class="py-1">"Entitlement"</th><th>"Value"</th><th>"Reason"</th><th>"Expires"</th><th></th></tr></thead>
                <tbody>
                    {overrides.into_iter().map(|o| {
                        let slug = slug.clone();
                        let key = o.key.clone();
                        view! {
                            <tr class="border-b" class=("text-slate-400", !o.in_force)>
                                <td class="py-1 font-mono text-xs">{o.key.clone()}</td>
                                <td>{if o.value.is_empty() { "unlimited".to_owned() } else { o.value.clone() }}</td>
                                <td>{o.reason.clone()}<span class="block text-xs text-slate-500">{o.created_by.clone()}</span></td>
                                <td>{o.expires_at.clone().unwrap_or_else(|| "never".into())}{(!o.in_force).then_some(" (expired)")}</td>
                                <td>
                                    <ActionForm action=actions.remove>
                                        <input type="hidden" name="slug" value=slug />
                                        <input type="hidden" name="key" value=key />
                                        <button type="submit" class="text-sm text-red-700 underline">"Remove"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <FormError error=set_error />
            <ActionForm action=actions.set>
                <input type="hidden" name="slug" value=slug_set />
                <div class="grid grid-cols-2 gap-3">
                    <label class="block text-sm">
                        <span class="font-medium text-slate-700">"Entitlement"</span>
                        <select class=INPUT name="key">
                            {registry.into_iter().map(|e| view! { <option value=e.key.clone()>{format!("{} ({})", e.label, e.key)}</option> }).collect_view()}
                        </select>
                    </label>
                    <Field label="Value (true/false, a number, empty for unlimited)" name="value" error=set_error />
                    <Field label="Reason" name="reason" error=set_error />
                    <Field label="Expires (optional)" name="expires_at" kind="datetime-local" error=set_error />
                </div>
                <button type="submit" class=format!("{BUTTON_QUIET} mt-3")>"Set override"</button>
            </ActionForm>
        </section>
    }
}
