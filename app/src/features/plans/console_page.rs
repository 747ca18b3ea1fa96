//! Plans on the console: every plan as an editable form, and a form for a
//! new one. Features are checkboxes; limits, quotas and rates are numbers
//! (empty: unlimited).

use crate::components::{
    action_error, loaded, versions, ConsoleShell, Field, FormError, BUTTON, BUTTON_QUIET, CARD,
    INPUT,
};
use crate::features::plans::api::{list_plans, EntitlementDef, PlanDto, RemovePlan, SavePlan};
use leptos::prelude::*;

#[component]
pub fn ConsolePlans() -> impl IntoView {
    let save = ServerAction::<SavePlan>::new();
    let remove = ServerAction::<RemovePlan>::new();
    let plans = Resource::new(
        move || versions(&[save.version(), remove.version()]),
        |_| list_plans(),
    );
    let error = Signal::derive(move || action_error(save).get().or(action_error(remove).get()));
    view! {
        <ConsoleShell>
            <h1 class="mb-4 text-xl font-semibold">"Plans"</h1>
            <p class="mb-4 text-sm text-slate-600">
                "A plan grants entitlements: features, limits, quotas per period and a request rate. Empty numbers mean unlimited."
            </p>
            <FormError error />
            {loaded(plans, move |page| {
                let registry = page.registry.clone();
                view! {
                    <div class="space-y-6">
                        {page.plans.into_iter().map(|p| view! { <PlanForm plan=Some(p) registry=registry.clone() save remove error /> }).collect_view()}
                        <PlanForm plan=None registry=registry.clone() save remove error />
                    </div>
                }
            })}
        </ConsoleShell>
    }
}

#[component]
fn PlanForm(
    plan: Option<PlanDto>,
    registry: Vec<EntitlementDef>,
    save: ServerAction<SavePlan>,
    remove: ServerAction<RemovePlan>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let is_new = plan.is_none();
    let p = plan.unwrap_or(PlanDto {
        key: String::new(),
        name: String::new(),
        tier: String::new(),
        price_ref: String::new(),
        placement_hint: String::new(),
        quota_enforcement: "hard".into(),
        values: Vec::new(),
        prices: String::new(),
    });
    let value_of = {
        let values = p.values.clone();
        move |key: &str| {
            values
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        }
    };
    let testid = if is_new {
        "plan-new".to_owned()
    } else {
        format!("plan-{}", p.key)
    };
    let key_for_remove = p.key.clone();
    let hard = p.quota_enforcement == "hard";
    view! {
        <section class=CARD data-testid=testid>
            <h2 class="mb-3 text-lg font-semibold">{if is_new { "New plan".to_owned() } else { format!("{} ({})", p.name, p.key) }}</h2>
            <ActionForm action=save>
                <div class="grid grid-cols-3 gap-3">
                    {if is_new {
                        view! { <Field label="Key" name="key" placeholder="pro" error /> }.into_any()
                    } else {
                        view! { <input type="hidden" name="key" value=p.key.clone() /> }.into_any()
                    }}
                    <Field label="Name" name="name" value=p.name.clone() error />
                    <Field label="Tier" name="tier" value=p.tier.clone() placeholder="pro" error />
                    <Field label="Price reference (billing)" name="price_ref" value=p.price_ref.clone() error />
                    <Field label="Placement hint" name="placement_hint" value=p.placement_hint.clone() placeholder="pool, schema or database" error />
                    <label class="block text-sm">
                        <span class="font-medium text-slate-700">"Quota enforcement"</span>
                        <select class=INPUT name="quota_enforcement">
                            <option value="hard" selected=hard>"hard: refuse at 100 %"</option>
                            <option value="soft" selected=!hard>"soft: notify, keep serving"</option>
                        </select>
                    </label>
                </div>
                <div class="mt-4 grid grid-cols-3 gap-3">
                    {registry.into_iter().map(|e| {
                        let current = value_of(&e.key);
                        let name = e.key.clone();
                        if e.kind == "feature" {
                            view! {
                                <label class="flex items-center gap-2 text-sm">
                                    <input type="checkbox" name=name value="true" checked={current == "true"} />
                                    {e.label.clone()}
                                </label>
                            }.into_any()
                        } else {
                            let label = match &e.period {
                                Some(period) => format!("{} (per {period})", e.label),
                                None => e.label.clone(),
                            };
                            view! {
                                <label class="block text-sm">
                                    <span class="font-medium text-slate-700">{label}</span>
                                    <input class=INPUT name=name.clone() value=current placeholder="unlimited" />
                                    {move || error.get().and_then(|err| err.for_field(&name)).map(|m| view! { <span class="text-xs text-red-700">{m}</span> })}
                                </label>
                            }.into_any()
                        }
                    }).collect_view()}
                </div>
                <label class="mt-4 block text-sm">
                    <span class="font-medium text-slate-700">"Prices (JSON, minor units; see docs/billing.md)"</span>
                    <textarea class=format!("{INPUT} font-mono text-xs") name="prices" rows="6" data-testid="plan-prices"
                        placeholder=r#"[{"key":"base","type":"flat","amount":4900,"currency":"usd"}]"#>{p.prices.clone()}</textarea>
                    {move || error.get().and_then(|err| err.for_field("prices")).map(|m| view! { <span class="text-xs text-red-700" data-testid="prices-error">{m}</span> })}
                </label>
                <button type="submit" class=format!("{BUTTON} mt-4")>{if is_new { "Create plan" } else { "Save plan" }}</button>
            </ActionForm>
            {(!is_new).then(|| view! {
                <ActionForm action=remove>
                    <input type="hidden" name="key" value=key_for_remove />
                    <button type="submit" class=format!("{BUTTON_QUIET} mt-2")>"Remove plan"</button>
                </ActionForm>
            })}
        </section>
    }
}
