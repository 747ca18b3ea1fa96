//! The console's restore and import panel: restore an export archive in
//! place or as a new tenant, import JSON Lines or CSV files (with a dry run
//! first), and follow the last one's progress. The forms are plain
//! multipart posts (uploads); the outcome comes back in the page's query.

use crate::components::{loaded, BUTTON, BUTTON_DANGER, BUTTON_QUIET, CARD, INPUT};
use crate::features::restores::api::{restore_status, RestoreDto};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RestorePanel(slug: String) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let status = Resource::new(
        {
            let slug = slug.clone();
            move || (slug.clone(), tick.get())
        },
        |(slug, _)| restore_status(slug),
    );
    Effect::new(move |_| {
        let poll = move || {
            let busy = status
                .get_untracked()
                .and_then(|r| r.ok())
                .flatten()
                .is_some_and(|r| r.is_unfinished());
            if busy {
                tick.update(|n| *n += 1);
            }
        };
        if let Ok(interval) = set_interval_with_handle(poll, std::time::Duration::from_secs(1)) {
            on_cleanup(move || interval.clear());
        }
    });
    let query = use_query_map();
    let error = move || query.read().get("restore_error");
    let report = move || {
        let q = query.read();
        q.get("import_refused").map(|refused| {
            let rows = q.get("import_rows").unwrap_or_default();
            let refusals = q.get_all("refusal").unwrap_or_default();
            (rows, refused, refusals)
        })
    };
    let restore_to = format!("/console/tenants/{slug}/restore");
    let import_to = format!("/console/tenants/{slug}/import");
    view! {
        <section class=format!("{CARD} mt-6") data-testid="restore">
            <h2 class="mb-1 text-lg font-semibold">"Restore and import"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "Restore one of this platform's export archives — in place, replacing this workspace's data, or as a new workspace on any placement — or import data from another application: one JSON Lines or CSV file per table. Everything is checked before anything is written, and the data is replaced in one step in the background."
            </p>
            {move || error().map(|e| view! { <p role="alert" class="mb-2 text-sm text-red-700" data-testid="restore-error">{e}</p> })}
            {move || report().map(|(rows, refused, refusals)| view! {
                <div class="mb-2 rounded border border-slate-200 p-2 text-sm" data-testid="import-report">
                    <p>{format!("Dry run: {rows} rows would be imported, {refused} problems.")}</p>
                    <ul class="list-disc pl-5 text-red-700">{refusals.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                </div>
            })}
            {loaded(status, move |s| view! { <LastRestore s /> })}
            <form method="post" action=restore_to enctype="multipart/form-data" class="mt-3 grid gap-2 text-sm sm:grid-cols-2" data-testid="restore-form">
                <label class="sm:col-span-2">"Export archive (.tar)"<input type="file" name="archive" accept=".tar" required class=INPUT /></label>
                <label>"Restore"<select name="mode" class=INPUT>
                    <option value="replace">"In place (replaces this workspace's data)"</option>
                    <option value="new">"As a new workspace"</option>
                </select></label>
                <label>"Type the slug to replace in place"<input name="confirm" class=INPUT autocomplete="off" /></label>
                <label>"New workspace slug"<input name="new_slug" class=INPUT /></label>
                <label>"New workspace name"<input name="name" class=INPUT /></label>
                <label>"Owner's email (new workspace)"<input name="owner_email" type="email" class=INPUT /></label>
                <label>"Placement (new workspace)"<select name="placement" class=INPUT>
                    <option value="">"Default"</option>
                    <option value="pool">"Shared tables"</option>
                    <option value="schema">"Own schema"</option>
                    <option value="database">"Own database"</option>
                </select></label>
                <div class="sm:col-span-2"><button type="submit" class=BUTTON_DANGER>"Restore"</button></div>
            </form>
            <form method="post" action=import_to enctype="multipart/form-data" class="mt-4 grid gap-2 text-sm sm:grid-cols-2" data-testid="import-form">
                <label class="sm:col-span-2">"Files to import (one per table: users.jsonl, projects.csv …)"<input type="file" name="files" multiple accept=".jsonl,.csv" required class=INPUT /></label>
                <label>"Type the slug to replace this workspace's data"<input name="confirm" class=INPUT autocomplete="off" /></label>
                <div class="flex items-end gap-2">
                    <button type="submit" name="dry_run" value="1" class=BUTTON_QUIET>"Dry run"</button>
                    <button type="submit" class=BUTTON>"Import"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn LastRestore(s: Option<RestoreDto>) -> impl IntoView {
    s.map(|r| {
        let total = r.rows_total + r.files_total;
        let done = r.rows_done + r.files_done;
        let percent = if r.state == "done" { 100 } else if total > 0 { done * 100 / total } else { 0 };
        let label = match r.state.as_str() {
            "queued" => "Waiting to start".to_owned(),
            "running" => format!("Writing: {} of {} rows", r.rows_done, r.rows_total),
            "done" => format!("Done: {} rows and {} files", r.rows_done, r.files_done),
            _ => r.error.clone().unwrap_or_else(|| "Failed".into()),
        };
        view! {
            <div class="text-sm" data-testid="restore-progress" data-state=r.state.clone()>
                <p>{format!("Last {} ({}, by {}, {}): ", r.kind, r.source, r.requested_by, r.created_at)}{label}</p>
                <div class="mt-1 h-2 w-full rounded bg-slate-100" role="progressbar" aria-label="Restore" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string()>
                    <div class="h-2 rounded bg-brand" style:width=format!("{percent}%")></div>
                </div>
            </div>
        }
    })
}
