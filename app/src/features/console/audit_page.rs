//! `/console/audit`: the platform audit log, newest first, a page at a time
//! (keyset: a page costs the same however deep), searchable by actor or
//! action; the search and the position are in the address.

use crate::components::{audit_query, AuditLog, ConsoleShell, CARD};
use crate::features::console::api::list_audit;
use leptos::prelude::*;

#[component]
pub fn ConsoleAudit() -> impl IntoView {
    let query = audit_query();
    let entries = Resource::new(
        move || query.get(),
        |q| list_audit(Some(q.q), Some(q.order), Some(q.after)),
    );
    view! {
        <ConsoleShell>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Platform audit log"</h1>
                <AuditLog path="/console/audit" entries show_tenant=true />
            </section>
        </ConsoleShell>
    }
}
