//! What every list page is made of besides its rows: the table with its
//! header and empty note, and the reload after any of the page's actions.

use leptos::prelude::*;

/// A number that changes whenever any of these actions completes: the source
/// of a list resource that reloads after any of its page's forms.
pub fn versions(actions: &[RwSignal<usize>]) -> usize {
    actions.iter().map(|version| version.get()).sum()
}

/// A list page's table: its header cells, then the rows; a note instead when
/// there are none.
#[component]
pub fn ListTable(
    testid: &'static str,
    head: &'static [&'static str],
    /// What to say when there are no rows.
    empty: &'static str,
    /// What to do about it: a label and where it leads (the form's anchor).
    #[prop(default = None)]
    first: Option<(&'static str, &'static str)>,
    is_empty: bool,
    children: Children,
) -> impl IntoView {
    if is_empty {
        return view! { <EmptyState message=empty first /> }.into_any();
    }
    view! {
        <table class="w-full text-left text-sm" data-testid=testid>
            <thead>
                <tr class="border-b text-slate-500">
                    {head
                        .iter()
                        .enumerate()
                        .map(|(i, cell)| view! { <th class=(i == 0).then_some("py-2")>{*cell}</th> })
                        .collect_view()}
                </tr>
            </thead>
            <tbody>{children()}</tbody>
        </table>
    }
    .into_any()
}

/// An empty list: what it would hold, and the way to its first entry.
#[component]
pub fn EmptyState(
    message: &'static str,
    #[prop(default = None)] first: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="rounded border border-dashed border-slate-300 p-4 text-sm text-slate-600" data-testid="empty-state">
            <p>{message}</p>
            {first.map(|(label, href)| view! {
                <a class="mt-2 inline-block font-medium text-brand-text underline" href=href>{label}</a>
            })}
        </div>
    }
}
