use crate::components::{ConsoleShell, CARD};
use crate::features::console::api::list_audit;
use leptos::prelude::*;

#[component]
pub fn ConsoleAudit() -> impl IntoView {
    let entries = Resource::new(|| (), |_| list_audit());
    view! {
        <ConsoleShell>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Platform audit log"</h1>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match entries.await {
                            Ok(rows) => view! {
                                <table class="w-full text-left text-sm" data-testid="audit-table">
                                    <thead><tr class="border-b text-slate-500"><th class="py-2">"When"</th><th>"Actor"</th><th>"Action"</th><th>"Tenant"</th><th>"Detail"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|r| view! {
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
                            }.into_any(),
                            Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </ConsoleShell>
    }
}
