//! `/console/mailbox`: the dev mailbox. With no SMTP server configured every
//! email the platform would send is kept here, links and all, so invitation
//! and reset flows work locally; with one, this shows delivery state.

use crate::components::{loaded, ConsoleShell, CARD};
use crate::features::console::api::list_mailbox;
use leptos::prelude::*;

#[component]
pub fn ConsoleMailbox() -> impl IntoView {
    let messages = Resource::new(|| (), |_| list_mailbox());
    view! {
        <ConsoleShell>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Mailbox"</h1>
                {loaded(messages, |list| {
                    if list.is_empty() {
                        return view! { <p class="text-sm text-slate-500">"No mail yet."</p> }.into_any();
                    }
                    view! {
                        <ul class="space-y-4" data-testid="mailbox">
                            {list.into_iter().map(|m| view! {
                                <li class="rounded border border-slate-200 p-3" data-to=m.to.clone()>
                                    <div class="flex justify-between text-sm text-slate-500">
                                        <span>{format!("{} → {}", m.from_name, m.to)}</span>
                                        <span>{format!("{} · {}", m.state, m.created_at)}</span>
                                    </div>
                                    <p class="font-medium">{m.subject.clone()}</p>
                                    {m.last_error.clone().map(|e| view! { <p class="text-sm text-red-700">{e}</p> })}
                                    <pre class="mt-2 whitespace-pre-wrap text-sm" data-testid="mail-text">{m.text.clone()}</pre>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </section>
        </ConsoleShell>
    }
}
