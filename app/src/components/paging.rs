//! Long lists a page at a time. The server answers a page and the cursor of
//! the next (keyset: a page costs the same however deep it is). A list with
//! a page of its own keeps its search and position in the address, so a page
//! of results is a link; a list inside a page keeps them in signals.

use super::{BUTTON_QUIET, INPUT};
use leptos::prelude::*;

/// The address `path` with these query values (empty ones left out).
pub fn query_href(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect();
    match query.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{}", query.join("&")),
    }
}

/// Percent-encodes a query value (the cursor and search text) without a
/// browser API, so that the server renders the same link.
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Links back to the first page (once past it) and on to the next.
#[component]
pub fn PageLinks(first: Option<String>, next: Option<String>) -> impl IntoView {
    view! {
        <nav class="mt-3 flex gap-4 text-sm" aria-label="Pages">
            {first.map(|h| view! { <a class="underline" href=h data-testid="first-page">"First page"</a> })}
            {next.map(|h| view! { <a class="underline" href=h data-testid="next-page">"Next page"</a> })}
        </nav>
    }
}

/// The orders a time-ordered list can be read in (the server's words).
pub const ORDERS: &[(&str, &str)] = &[("", "Newest first"), ("oldest", "Oldest first")];

/// Where a list inside a page stands: the filter and order chosen, and the
/// cursors of the pages shown before this one (so "Previous" goes back a
/// page).
#[derive(Clone, Copy)]
pub struct Paging {
    pub filter: RwSignal<String>,
    pub order: RwSignal<String>,
    trail: RwSignal<Vec<String>>,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            filter: RwSignal::new(String::new()),
            order: RwSignal::new(String::new()),
            trail: RwSignal::new(Vec::new()),
        }
    }
}

impl Paging {
    /// The cursor the page shown starts after (empty: the first page).
    pub fn after(&self) -> String {
        self.trail.with(|t| t.last().cloned().unwrap_or_default())
    }

    /// A new filter or order starts again at the first page.
    fn restart(&self, choice: RwSignal<String>, value: String) {
        self.trail.set(Vec::new());
        choice.set(value);
    }
}

/// "Previous" and "Next" for a [`Paging`] list.
#[component]
pub fn PagingButtons(paging: Paging, next: Option<String>) -> impl IntoView {
    let deep = paging.trail.with_untracked(|t| !t.is_empty());
    let previous = move |_| paging.trail.update(|t| drop(t.pop()));
    view! {
        <nav class="mt-3 flex gap-3" aria-label="Pages">
            {deep.then(|| view! { <button type="button" class=BUTTON_QUIET on:click=previous>"Previous"</button> })}
            {next.map(|cursor| {
                let forward = move |_| paging.trail.update(|t| t.push(cursor.clone()));
                view! { <button type="button" class=BUTTON_QUIET on:click=forward>"Next"</button> }
            })}
        </nav>
    }
}

/// The filter and order of a [`Paging`] list: a new choice shows its first
/// page.
#[component]
pub fn PagingFilter(
    paging: Paging,
    label: &'static str,
    /// (value, text); the empty value means every row.
    options: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <div class="mb-3 flex flex-wrap gap-3">
            <PagingSelect label options choice=paging.filter paging />
            <PagingSelect label="Order" options=ORDERS choice=paging.order paging />
        </div>
    }
}

#[component]
fn PagingSelect(
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    choice: RwSignal<String>,
    paging: Paging,
) -> impl IntoView {
    view! {
        <label class="block max-w-xs text-sm">
            <span class="text-slate-700">{label}</span>
            <select class=INPUT
                prop:value=move || choice.get()
                on:change=move |ev| paging.restart(choice, event_target_value(&ev))>
                {options.iter().map(|(value, text)| view! { <option value=*value>{*text}</option> }).collect_view()}
            </select>
        </label>
    }
}
