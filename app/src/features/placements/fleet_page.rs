//! The fleet page: the tenant-plane schema version of every unit (the shared
//! pool, the templates, each schema, database or file), so an operator sees
//! where a fleet migration stands.

use crate::components::{loaded, ConsoleShell, CARD};
use crate::features::placements::api::{fleet_status, FleetDto};
use leptos::prelude::*;

#[component]
pub fn ConsoleFleet() -> impl IntoView {
    let fleet = Resource::new(|| (), |_| fleet_status());
    view! {
        <ConsoleShell>
            <section class=CARD>
                <h1 class="mb-2 text-xl font-semibold">"Fleet migrations"</h1>
                {loaded(fleet, move |f| view! { <FleetTable f /> })}
            </section>
        </ConsoleShell>
    }
}

#[component]
fn FleetTable(f: FleetDto) -> impl IntoView {
    let behind = f
        .rows
        .iter()
        .filter(|r| r.version.as_deref() != Some(f.latest.as_str()))
        .count();
    let latest = f.latest.clone();
    view! {
        <p class="mb-4 text-sm text-slate-600" data-testid="fleet-summary">
            "Latest tenant-plane version: " <code>{f.latest.clone()}</code> ". "
            {format!("{} unit(s) listed, {behind} behind or failed.", f.rows.len())}
            " Run " <code>"tenantry migrate"</code> " to bring every unit up to date."
        </p>
        <table class="w-full text-left text-sm" data-testid="fleet-table">
            <thead>
                <tr class="border-b text-slate-500">
                    <th class="py-2">"Tenant"</th>
                    <th>"Placement"</th>
                    <th>"Unit"</th>
                    <th>"Version"</th>
                    <th>"Status"</th>
                </tr>
            </thead>
            <tbody>
                {f.rows.into_iter().map(|r| {
                    let current = r.version.as_deref() == Some(latest.as_str());
                    let tone = match (r.status.as_str(), current) {
                        ("ok", true) => "text-green-700",
                        ("failed", _) => "text-red-700",
                        _ => "text-amber-700",
                    };
                    let (unit, title) = (r.unit.clone(), r.error.clone().unwrap_or_default());
                    view! {
                        <tr class="border-b" data-unit=unit>
                            <td class="py-1">{r.slug.unwrap_or_else(|| "(shared)".into())}</td>
                            <td>{r.placement.unwrap_or_default()}</td>
                            <td class="font-mono text-xs">{r.unit}</td>
                            <td class="font-mono text-xs">{r.version.unwrap_or_else(|| "—".into())}</td>
                            <td class=tone title=title>
                                {r.status}
                                {r.error.map(|e| view! { <span class="block text-xs">{e}</span> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
