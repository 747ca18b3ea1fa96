//! Feature flags on the console: the list, a form for a new flag, and each
//! flag's page — its targeting as a form, the kill switch, "who gets this
//! flag" (the live tenants it resolves to), and its change history.

use crate::components::{
    action_error, loaded, ConsoleShell, Field, FormError, NavLink, BUTTON, BUTTON_DANGER,
    BUTTON_QUIET, CARD, INPUT,
};
use crate::features::flags::api::{
    get_flag, list_flags, FlagDetailDto, FlagFormDto, RemoveFlag, SaveFlag, SetKillSwitch,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ConsoleFlags() -> impl IntoView {
    let save = ServerAction::<SaveFlag>::new();
    let flags = Resource::new(move || save.version().get(), |_| list_flags());
    let error = action_error(save);
    view! {
        <ConsoleShell>
            <h1 class="mb-4 text-xl font-semibold">"Feature flags"</h1>
            {loaded(flags, |list| view! {
                <table class="mb-6 w-full text-left text-sm" data-testid="flags">
                    <thead><tr class="border-b text-slate-500"><th class="py-1">"Key"</th><th>"Kind"</th><th>"Targeting"</th><th>"Description"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|f| {
                            let (key, href) = (f.key.clone(), format!("/console/flags/{}", f.key));
                            view! {
                                <tr class="border-b" data-flag=f.key>
                                    <td class="py-1"><NavLink href=href attr:class="font-mono text-indigo-700 underline">{key}</NavLink></td>
                                    <td>{f.kind}</td>
                                    <td class=("text-red-700", f.kill_switch)>{f.targeting}</td>
                                    <td>{f.description}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <section class=CARD>
                <h2 class="mb-3 text-lg font-semibold">"New flag"</h2>
                <FormError error />
                <FlagForm form=None save error />
                {move || save.value().get().and_then(|r| r.ok()).map(|key| view! {
                    <p class="mt-3 text-sm">"Saved: " <NavLink href=format!("/console/flags/{key}") attr:class="text-indigo-700 underline">{key.clone()}</NavLink></p>
                })}
            </section>
        </ConsoleShell>
    }
}

#[component]
pub fn ConsoleFlag() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let save = ServerAction::<SaveFlag>::new();
    let kill = ServerAction::<SetKillSwitch>::new();
    let remove = ServerAction::<RemoveFlag>::new();
    let detail = Resource::new(
        move || (key(), save.version().get(), kill.version().get()),
        |(key, ..)| get_flag(key),
    );
    let error = Signal::derive(move || {
        action_error(save)
            .get()
            .or(action_error(kill).get())
            .or(action_error(remove).get())
    });
    view! {
        <ConsoleShell>
            <p class="mb-4 text-sm"><NavLink href="/console/flags">"← all flags"</NavLink></p>
            <FormError error />
            {loaded(detail, move |d| view! { <FlagDetail d save kill remove error /> })}
        </ConsoleShell>
    }
}

#[component]
fn FlagDetail(
    d: FlagDetailDto,
    save: ServerAction<SaveFlag>,
    kill: ServerAction<SetKillSwitch>,
    remove: ServerAction<RemoveFlag>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let key = d.form.key.clone();
    let killed = d.form.kill_switch;
    let (key_kill, key_remove) = (key.clone(), key.clone());
    let count = d.resolved.len();
    view! {
        <section class=CARD>
            <h1 class="text-xl font-semibold font-mono" data-testid="flag-key">{key.clone()}</h1>
            <p class="text-sm text-slate-600">{d.form.description.clone()}</p>
            <div class="mt-4 flex items-center gap-4">
                <span data-testid="kill-state" class=("text-red-700", killed)>
                    {if killed { "Kill switch ON: off for everyone" } else { "Kill switch off" }}
                </span>
                <ActionForm action=kill>
                    <input type="hidden" name="key" value=key_kill />
                    <input type="hidden" name="on" value=(!killed).to_string() />
                    <button type="submit" class=if killed { BUTTON_QUIET } else { BUTTON_DANGER }>
                        {if killed { "Release kill switch" } else { "Kill switch: turn off everywhere" }}
                    </button>
                </ActionForm>
            </div>
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Targeting"</h2>
            <FlagForm form=Some(d.form.clone()) save error />
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-1 text-lg font-semibold">"Who gets this flag"</h2>
            <p class="mb-3 text-sm text-slate-600" data-testid="resolved-count">
                {format!("{count} of {} live tenants get a value other than the default.", d.live_tenants)}
            </p>
            <ul class="grid grid-cols-3 gap-1 text-sm" data-testid="resolved">
                {d.resolved.into_iter().map(|(slug, name, value)| view! {
                    <li data-slug=slug.clone()><span class="font-mono">{slug.clone()}</span>" "<span class="text-slate-500">{name}</span>" = "{value}</li>
                }).collect_view()}
            </ul>
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"History"</h2>
            <table class="w-full text-left text-sm" data-testid="flag-history">
                <tbody>
                    {d.history.into_iter().map(|(at, actor, summary)| view! {
                        <tr class="border-b"><td class="py-1">{at}</td><td>{actor}</td><td>{summary}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <ActionForm action=remove>
                <input type="hidden" name="key" value=key_remove />
                <button type="submit" class=format!("{BUTTON_QUIET} mt-4")>"Remove flag"</button>
            </ActionForm>
        </section>
    }
}

/// The definition as a form: a new flag when `form` is `None`.
#[component]
fn FlagForm(
    form: Option<FlagFormDto>,
    save: ServerAction<SaveFlag>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let is_new = form.is_none();
    let f = form.unwrap_or(FlagFormDto {
        key: String::new(),
        description: String::new(),
        kind: "boolean".into(),
        default: "false".into(),
        kill_switch: false,
        value: "true".into(),
        allow: String::new(),
        deny: String::new(),
        plans: String::new(),
        tiers: String::new(),
        percentage: String::new(),
    });
    let kinds = ["boolean", "string", "number", "json"];
    let kind = f.kind.clone();
    view! {
        <ActionForm action=save>
            <div class="grid grid-cols-2 gap-3">
                {if is_new {
                    view! { <Field label="Key" name="key" placeholder="new_board" error /> }.into_any()
                } else {
                    view! { <input type="hidden" name="key" value=f.key.clone() /> }.into_any()
                }}
                <label class="block text-sm">
                    <span class="font-medium text-slate-700">"Kind"</span>
                    <select class=INPUT name="kind">
                        {kinds.into_iter().map(|k| view! { <option value=k selected={k == kind}>{k}</option> }).collect_view()}
                    </select>
                </label>
                <Field label="Description" name="description" value=f.description.clone() error />
                <Field label="Default value (JSON)" name="default" value=f.default.clone() error />
                <Field label="Value for targeted tenants (JSON)" name="value" value=f.value.clone() error />
                <Field label="Percentage rollout (0–100)" name="percentage" value=f.percentage.clone() placeholder="50" error />
                <Field label="Always: tenant slugs" name="allow" value=f.allow.clone() placeholder="acme, globex" error />
                <Field label="Never: tenant slugs" name="deny" value=f.deny.clone() error />
                <Field label="Plans (keys)" name="plans" value=f.plans.clone() error />
                <Field label="Tiers" name="tiers" value=f.tiers.clone() error />
            </div>
            {f.kill_switch.then(|| view! { <input type="hidden" name="kill_switch" value="true" /> })}
            <button type="submit" class=format!("{BUTTON} mt-4")>{if is_new { "Create flag" } else { "Save targeting" }}</button>
        </ActionForm>
    }
}
