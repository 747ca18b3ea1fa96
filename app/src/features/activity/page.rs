//! The noisiest tenants (`/console/costs`) and one tenant's activity
//! (`/console/tenants/<slug>/activity`); the period is in the address
//! (`?period=hour|day|month`), so each view is a link and works without
//! JavaScript.

use super::api::{noisiest_tenants, tenant_activity, ChartDto, NoisyTableDto};
use crate::components::{loaded, Bar, BarChart, ConsoleShell, EmptyState, NavLink, CARD};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const PERIODS: [(&str, &str); 3] = [
    ("hour", "Last hour"),
    ("day", "Last day"),
    ("month", "Last 30 days"),
];

fn period_param() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("period").unwrap_or_else(|| "day".into()))
}

/// Links to the same page over each period, the one shown marked current.
#[component]
fn PeriodLinks(path: String, period: Memo<String>) -> impl IntoView {
    view! {
        <nav class="mb-4 flex gap-3 text-sm" aria-label="Period">
            {PERIODS.into_iter().map(|(word, text)| {
                let href = format!("{path}?period={word}");
                let current = move || (period.get() == word).then_some("page");
                view! {
                    <a href=href class="rounded px-2 py-1 text-indigo-700 underline aria-[current=page]:bg-slate-100 aria-[current=page]:font-semibold aria-[current=page]:no-underline"
                        aria-current=current>{text}</a>
                }
            }).collect_view()}
        </nav>
    }
}

#[component]
pub fn ConsoleCosts() -> impl IntoView {
    let period = period_param();
    let noisiest = Resource::new(move || period.get(), |p| noisiest_tenants(Some(p)));
    view! {
        <ConsoleShell>
            <section class=CARD data-testid="noisiest">
                <h1 class="mb-1 text-xl font-semibold">"Noisiest tenants"</h1>
                <p class="mb-3 text-sm text-slate-600">
                    "What each tenant cost the platform, from the cost ledger every instance writes to: the ten that cost most by each measure, and their share of what every tenant cost together."
                </p>
                <PeriodLinks path="/console/costs".into() period />
                {loaded(noisiest, |n| {
                    let period = n.period;
                    view! {
                        <div class="grid gap-6 md:grid-cols-2">
                            {n.tables.into_iter().map(|t| view! { <NoisyTable t period=period.clone() /> }).collect_view()}
                        </div>
                    }
                })}
            </section>
        </ConsoleShell>
    }
}

/// One measure's noisiest; each links to the tenant's activity over the
/// same `period`.
#[component]
fn NoisyTable(t: NoisyTableDto, period: String) -> impl IntoView {
    let empty = t.rows.is_empty();
    view! {
        <div data-testid=format!("noisiest-{}", t.key)>
            <h2 class="mb-2 font-semibold">{t.title.clone()}</h2>
            {match empty {
                true => view! {
                    <p class="text-sm text-slate-500">"No tenant has cost anything by this measure in this period."</p>
                }.into_any(),
                false => view! {
                    <table class="w-full text-left text-sm">
                        <thead><tr class="border-b text-slate-600">
                            <th class="py-1">"Tenant"</th><th class="text-right">{t.title.clone()}</th><th class="text-right">"Share"</th>
                        </tr></thead>
                        <tbody>
                            {t.rows.into_iter().map(|r| view! {
                                <tr class="border-b" data-slug=r.slug.clone()>
                                    <td class="py-1"><NavLink href=format!("/console/tenants/{}/activity?period={period}", r.slug) attr:class="text-indigo-700 underline">{r.name}</NavLink></td>
                                    <td class="text-right tabular-nums">{r.value}</td>
                                    <td class="text-right tabular-nums">{r.share}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </div>
    }
}

/// One tenant's activity charts over the period in the address.
#[component]
pub fn ActivityPanel(slug: String) -> impl IntoView {
    let period = period_param();
    let path = format!("/console/tenants/{slug}/activity");
    let activity = Resource::new(
        move || (slug.clone(), period.get()),
        |(slug, p)| tenant_activity(slug, Some(p)),
    );
    view! {
        <section class=CARD data-testid="activity">
            {loaded(activity, move |a| view! {
                <h1 class="mb-1 text-xl font-semibold">{format!("Activity of {}", a.name)}</h1>
                <p class="mb-3 text-sm text-slate-600">
                    "Its requests, failures, latency and share of what the platform spends on every tenant, from the cost ledger."
                </p>
                <PeriodLinks path=path.clone() period />
                {match a.charts.iter().all(|c| c.points.iter().all(|p| p.value == 0.0)) {
                    true => view! {
                        <EmptyState
                            message="No activity in this period: the charts fill in as the tenant's people and jobs use the platform."
                            first=Some(("See the noisiest tenants", "/console/costs")) />
                    }.into_any(),
                    false => ().into_any(),
                }}
                <div class="grid gap-6 md:grid-cols-2">
                    {a.charts.into_iter().map(|c| view! { <ActivityChart c /> }).collect_view()}
                </div>
            })}
        </section>
    }
}

#[component]
fn ActivityChart(c: ChartDto) -> impl IntoView {
    let bars = c
        .points
        .into_iter()
        .map(|p| Bar {
            at: p.at,
            value: p.value,
            text: p.text,
        })
        .collect();
    let aria = format!("{}: {}", c.title, c.legend);
    let top: fn(f64) -> String = match c.key.as_str() {
        "errors" | "share" => |peak| format!("{peak:.0}%"),
        "latency" => |peak| format!("{peak:.0}ms"),
        _ => |peak| format!("{peak:.0}"),
    };
    view! {
        <figure data-testid=format!("activity-{}", c.key)>
            <figcaption class="flex justify-between gap-2 text-sm">
                <span class="font-medium">{c.title.clone()}</span>
                <span data-testid=format!("activity-summary-{}", c.key)>{c.summary}</span>
            </figcaption>
            <BarChart bars aria legend=c.legend top />
        </figure>
    }
}
