//! `/admin/audit`: the organisation's audit log as its admins see it —
//! support sessions (under both identities), credentials and people — and,
//! for owners, refusing support access to their own account.

use crate::components::{loaded, TenantShell, BUTTON_QUIET, CARD};
use crate::features::tenant_audit::api::{
    list_tenant_audit, support_access_refused, SetSupportAccess,
};
use leptos::prelude::*;

#[component]
pub fn TenantAuditPage() -> impl IntoView {
    let set = ServerAction::<SetSupportAccess>::new();
    let entries = Resource::new(move || set.version().get(), |_| list_tenant_audit());
    let refused = Resource::new(move || set.version().get(), |_| support_access_refused());
    view! {
        <TenantShell admin_only=true>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Audit log"</h1>
                {loaded(refused, move |on| view! {
                    <ActionForm action=set>
                        <label class="mb-4 flex items-center gap-2 text-sm">
                            <input type="checkbox" name="refuse" value="true" checked=on />
                            "Refuse support access to my account (owners)"
                            <button type="submit" class=BUTTON_QUIET>"Save"</button>
                        </label>
                    </ActionForm>
                })}
                {loaded(entries, |rows| view! {
                    <table class="w-full text-left text-sm" data-testid="tenant-audit">
                        <thead><tr class="border-b text-slate-500"><th class="py-2">"When"</th><th>"Who"</th><th>"What"</th><th>"Detail"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr class="border-b" data-action=r.action.clone()>
                                    <td class="py-1">{r.at}</td>
                                    <td>{r.actor}</td>
                                    <td>{r.action.clone()}</td>
                                    <td>{r.detail}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            </section>
        </TenantShell>
    }
}
