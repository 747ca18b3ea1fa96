//! An audit log as the console and a tenant's admins read it: a search by
//! actor or action, a page of entries newest or oldest first, and links to
//! the first and the next page, all in the address.

use super::{loaded, query_href, PageLinks, BUTTON_QUIET, INPUT, ORDERS};
use crate::dto::{AuditRow, PageDto};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// The search, order and cursor of a log page's address.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AuditQuery {
    pub q: String,
    pub order: String,
    pub after: String,
}

/// The page's [`AuditQuery`], from `q`, `order` and `after`.
pub fn audit_query() -> Signal<AuditQuery> {
    let params = use_query_map();
    Signal::derive(move || {
        let params = params.read();
        let param = |key: &str| params.get(key).unwrap_or_default();
        AuditQuery {
            q: param("q"),
            order: param("order"),
            after: param("after"),
        }
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
        <Form method="GET" action=path attr:class="mb-4 flex flex-wrap items-end gap-3">
            <label class="block grow text-sm">
                <span class="font-medium text-slate-700">"Search actor or action"</span>
                <input class=INPUT type="search" name="q" prop:value=move || query.get().q />
            </label>
            <label class="block text-sm">
                <span class="font-medium text-slate-700">"Order"</span>
                <select class=INPUT name="order" prop:value=move || query.get().order>
                    {ORDERS.iter().map(|(value, text)| view! { <option value=*value>{*text}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class=BUTTON_QUIET>"Search"</button>
        </Form>
        {move || {
            let AuditQuery { q, order, after } = query.get();
            loaded(entries, move |page| {
                let start = [("q", q.as_str()), ("order", order.as_str())];
                let first = (!after.is_empty()).then(|| query_href(path, &start));
                let next = page.next.as_deref().map(|c| query_href(path, &[start[0], start[1], ("after", c)]));
                view! { <Entries rows=page.rows show_tenant /> <PageLinks first next /> }
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
