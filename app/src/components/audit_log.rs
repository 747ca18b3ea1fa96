//! An audit log as the console and a tenant's admins read it: a search by
//! actor or action, a page of entries newest first, and links to the newest
//! and the next page, all in the address.

use super::{loaded, query_href, PageLinks, BUTTON_QUIET, INPUT};
use crate::dto::{AuditRow, PageDto};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// The search (`q`) and the cursor (`after`) of the page's address.
pub fn audit_query() -> Signal<(String, String)> {
    let params = use_query_map();
    Signal::derive(move || {
        let params = params.read();
        let param = |key: &str| params.get(key).unwrap_or_default();
        (param("q"), param("after"))
    })
}

/// `path` is the page's own address; `entries` answers [`audit_query`].
#[component]
pub fn AuditLog(
    path: &'static str,
    entries: Resource<Result<PageDto<AuditRow>, AppError>>,
    /// The platform's log names the tenant of each entry.
    #[prop(default = false)]
    show_tenant: bool,
) -> impl IntoView {
    let query = audit_query();
    view! {
        <Form method="GET" action=path attr:class="mb-4 flex items-end gap-3">
            <label class="block grow text-sm">
                <span class="font-medium text-slate-700">"Search actor or action"</span>
                <input class=INPUT type="search" name="q" prop:value=move || query.get().0 />
            </label>
            <button type="submit" class=BUTTON_QUIET>"Search"</button>
        </Form>
        {move || {
            let (q, after) = query.get();
            loaded(entries, move |page| {
                let newest = (!after.is_empty()).then(|| query_href(path, &[("q", &q)]));
                let older = page.next.as_deref().map(|c| query_href(path, &[("q", &q), ("after", c)]));
                view! { <Entries rows=page.rows show_tenant /> <PageLinks newest older /> }
            })
        }}
    }
}

#[component]
fn Entries(rows: Vec<AuditRow>, show_tenant: bool) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="text-slate-500">"No entries match."</p> }.into_any();
    }
    view! {
        <table class="w-full text-left text-sm" data-testid="audit-table">
            <thead><tr class="border-b text-slate-500">
                <th class="py-2">"When"</th><th>"Who"</th><th>"What"</th>
                {show_tenant.then(|| view! { <th>"Tenant"</th> })}
                <th>"Detail"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr class="border-b" data-action=r.action.clone()>
                        <td class="py-1 whitespace-nowrap">{r.at}</td>
                        <td>{r.actor}</td>
                        <td>{r.action.clone()}</td>
                        {show_tenant.then(|| view! { <td class="font-mono text-xs">{r.tenant.unwrap_or_default()}</td> })}
                        <td>{r.detail}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
