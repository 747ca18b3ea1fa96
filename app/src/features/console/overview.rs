//! The console's first section: the fleet at a glance, each figure a link
//! into the list it counts.

use crate::components::{loaded, NavLink, CARD};
use crate::features::console::api::{console_overview, OverviewDto};
use leptos::prelude::*;

#[component]
pub fn Overview() -> impl IntoView {
    let overview = Resource::new(|| (), |()| console_overview());
    view! {
        <section class=format!("{CARD} mb-6") aria-labelledby="overview" data-testid="overview">
            <h1 id="overview" class="mb-4 text-xl font-semibold">"Overview"</h1>
            {loaded(overview, |o| view! { <Figures o /> })}
        </section>
    }
}

/// Counts as links into the tenant list filtered by `key`.
fn counts(title: &'static str, key: &'static str, rows: Vec<(String, u64)>) -> impl IntoView {
    view! {
        <div>
            <h2 class="mb-1 text-sm font-semibold text-slate-600">{title}</h2>
            <ul class="space-y-0.5 text-sm">
                {rows
                    .into_iter()
                    .map(|(value, n)| {
                        let href = format!("/console?{key}={value}");
                        view! {
                            <li class="flex justify-between gap-3">
                                <NavLink href=href attr:class="text-indigo-700 underline">{value}</NavLink>
                                <span class="tabular-nums">{n}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}

#[component]
fn Figures(o: OverviewDto) -> impl IntoView {
    let peak = o
        .weeks
        .iter()
        .map(|(_, s, c)| (*s).max(*c))
        .max()
        .unwrap_or(0)
        .max(1);
    // Bars as a share of the busiest week, with the figure written beside.
    let bar = move |n: u64, class: &'static str| {
        let width = format!("{}%", n * 100 / peak);
        view! {
            <span class="flex items-center gap-2">
                <span class=format!("inline-block h-2 rounded {class}") style:width=width></span>
                <span class="tabular-nums">{n}</span>
            </span>
        }
    };
    let weeks = o
        .weeks
        .into_iter()
        .map(|(starts, signups, churned)| {
            view! {
                <tr class="border-b last:border-0">
                    <th scope="row" class="py-1 pr-3 text-left font-normal text-slate-600">{starts}</th>
                    <td class="w-2/5 py-1 pr-3">{bar(signups, "bg-emerald-600")}</td>
                    <td class="w-2/5 py-1">{bar(churned, "bg-rose-600")}</td>
                </tr>
            }
        })
        .collect_view();
    let tenants = match o.total {
        1 => "1 tenant".to_owned(),
        n => format!("{n} tenants"),
    };
    view! {
        <p class="mb-4 flex flex-wrap gap-x-6 gap-y-1 text-sm">
            <span class="font-semibold" data-testid="overview-total">{tenants}</span>
            <span data-testid="overview-revenue">{match o.base_fees.is_empty() {
                true => "No plan fees this period".to_owned(),
                false => format!("{} in plan fees this period", o.base_fees.join(" + ")),
            }}</span>
            <span data-testid="overview-past-due">{format!("{} past due", o.past_due)}</span>
            <NavLink href="/console/webhooks" attr:class="text-indigo-700 underline">
                {format!("{} failed platform deliveries", o.failed_deliveries)}
            </NavLink>
            <NavLink href="/console/jobs" attr:class="text-indigo-700 underline" attr:data-testid="overview-failed-jobs">
                {match o.tenants_with_failed_jobs {
                    1 => "1 tenant with failed jobs".to_owned(),
                    n => format!("{n} tenants with failed jobs"),
                }}
            </NavLink>
            <NavLink href="/console/costs" attr:class="text-indigo-700 underline" attr:data-testid="overview-costs">
                "Noisiest tenants"
            </NavLink>
        </p>
        <div class="grid gap-6 sm:grid-cols-3">
            {counts("By state", "state", o.by_state)}
            {counts("By plan", "plan", o.by_plan)}
            {counts("By placement", "placement", o.by_placement)}
        </div>
        <table class="mt-5 w-full text-sm">
            <caption class="mb-1 text-left text-sm font-semibold text-slate-600">"Signups and churn, by week"</caption>
            <thead class="text-xs uppercase text-slate-500">
                <tr>
                    <th scope="col" class="pr-3 text-left">"Week of"</th>
                    <th scope="col" class="pr-3 text-left">"Signups"</th>
                    <th scope="col" class="text-left">"Deleted"</th>
                </tr>
            </thead>
            <tbody>{weeks}</tbody>
        </table>
    }
}
