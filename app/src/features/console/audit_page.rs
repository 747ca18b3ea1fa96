//! `/console/audit`: the platform audit log, newest first, a page at a time
//! (keyset: a page costs the same however deep), searchable by actor or
//! action; the search and the position are in the address.

use crate::components::{loaded, ConsoleShell, CARD, INPUT};
use crate::features::console::api::{list_audit, AuditPageDto};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// The page's address for a search and a cursor.
fn href(query: &str, after: &str) -> String {
    let enc = super::page::encode_query_value;
    format!("/console/audit?q={}&after={}", enc(query), enc(after))
}

#[component]
pub fn ConsoleAudit() -> impl IntoView {
    let params = use_query_map();
    let param = move |key: &str| params.read().get(key).unwrap_or_default();
    let entries = Resource::new(
        move || (param("q"), param("after")),
        |(q, after)| list_audit(Some(q), Some(after)),
    );
    view! {
        <ConsoleShell>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Platform audit log"</h1>
                <Form method="GET" action="/console/audit" attr:class="mb-4 flex items-end gap-3">
                    <label class="block grow text-sm">
                        <span class="font-medium text-slate-700">"Search actor or action"</span>
                        <input class=INPUT type="search" name="q" prop:value=move || param("q") />
                    </label>
                    <button type="submit" class="rounded border border-slate-300 px-3 py-1.5 text-sm">"Search"</button>
                </Form>
                {move || {
                    let q = param("q");
                    let deep = !param("after").is_empty();
                    loaded(entries, move |page| view! { <Entries page q=q.clone() deep /> })
                }}
            </section>
        </ConsoleShell>
    }
}

#[component]
fn Entries(page: AuditPageDto, q: String, deep: bool) -> impl IntoView {
    if page.rows.is_empty() {
        return view! { <p class="text-slate-500">"No entries match."</p> }.into_any();
    }
    let newest = deep.then(|| href(&q, ""));
    let older = page.next.map(|cursor| href(&q, &cursor));
    view! {
        <table class="w-full text-left text-sm" data-testid="audit-table">
            <thead><tr class="border-b text-slate-500"><th class="py-2">"When"</th><th>"Actor"</th><th>"Action"</th><th>"Tenant"</th><th>"Detail"</th></tr></thead>
            <tbody>
                {page.rows.into_iter().map(|r| view! {
                    <tr class="border-b">
                        <td class="py-1">{r.at}</td>
                        <td>{r.actor}</td>
                        <td>{r.action}</td>
                        <td class="font-mono text-xs">{r.tenant.unwrap_or_default()}</td>
                        <td>{r.detail}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <nav class="mt-3 flex gap-4 text-sm" aria-label="Pages">
            {newest.map(|h| view! { <a class="underline" href=h data-testid="newest-page">"Newest"</a> })}
            {older.map(|h| view! { <a class="underline" href=h data-testid="older-page">"Older entries"</a> })}
        </nav>
    }
    .into_any()
}
