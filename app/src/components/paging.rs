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

/// Links back to the newest page (once past it) and on to the next.
#[component]
pub fn PageLinks(newest: Option<String>, older: Option<String>) -> impl IntoView {
    view! {
        <nav class="mt-3 flex gap-4 text-sm" aria-label="Pages">
            {newest.map(|h| view! { <a class="underline" href=h data-testid="newest-page">"Newest"</a> })}
            {older.map(|h| view! { <a class="underline" href=h data-testid="older-page">"Older"</a> })}
        </nav>
    }
}

/// Where a list inside a page stands: the filter chosen, and the cursors of
/// the pages shown before this one (so "Newer" goes back a page).
#[derive(Clone, Copy)]
pub struct Paging {
    pub filter: RwSignal<String>,
    trail: RwSignal<Vec<String>>,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            filter: RwSignal::new(String::new()),
            trail: RwSignal::new(Vec::new()),
        }
    }
}

impl Paging {
    /// The cursor the page shown starts after (empty: the newest).
    pub fn after(&self) -> String {
        self.trail.with(|t| t.last().cloned().unwrap_or_default())
    }

    /// A new filter starts again at the newest page.
    pub fn choose(&self, filter: String) {
        self.trail.set(Vec::new());
        self.filter.set(filter);
    }
}

/// "Newer" and "Older" for a [`Paging`] list.
#[component]
pub fn PagingButtons(paging: Paging, next: Option<String>) -> impl IntoView {
    let deep = paging.trail.with_untracked(|t| !t.is_empty());
    let newer = move |_| paging.trail.update(|t| drop(t.pop()));
    view! {
        <nav class="mt-3 flex gap-3" aria-label="Pages">
            {deep.then(|| view! { <button type="button" class=BUTTON_QUIET on:click=newer>"Newer"</button> })}
            {next.map(|cursor| {
                let older = move |_| paging.trail.update(|t| t.push(cursor.clone()));
                view! { <button type="button" class=BUTTON_QUIET on:click=older>"Older"</button> }
            })}
        </nav>
    }
}

/// A filter of a [`Paging`] list: choosing an option shows its newest page.
#[component]
pub fn PagingFilter(
    paging: Paging,
    label: &'static str,
    /// (value, text); the empty value means every row.
    options: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <label class="mb-3 block max-w-xs text-sm">
            <span class="text-slate-700">{label}</span>
            <select class=INPUT
                prop:value=move || paging.filter.get()
                on:change=move |ev| paging.choose(event_target_value(&ev))>
                {options.iter().map(|(value, text)| view! { <option value=*value>{*text}</option> }).collect_view()}
            </select>
        </label>
    }
}
