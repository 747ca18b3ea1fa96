//! `/admin/audit`: the organisation's audit log as its admins see it —
//! support sessions (under both identities), credentials and people — and,
//! for owners, refusing support access to their own account.

use crate::components::{audit_query, loaded, AuditLog, TenantShell, BUTTON_QUIET, CARD};
use crate::features::tenant_audit::api::{
    list_tenant_audit, support_access_refused, SetSupportAccess,
};
use leptos::prelude::*;

#[component]
pub fn TenantAuditPage() -> impl IntoView {
    let set = ServerAction::<SetSupportAccess>::new();
    let query = audit_query();
    let entries = Resource::new(
        move || (query.get(), set.version().get()),
        |(q, _)| list_tenant_audit(Some(q.q), Some(q.order), Some(q.after)),
    );
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
                <AuditLog path="/admin/audit" entries />
            </section>
        </TenantShell>
    }
}
