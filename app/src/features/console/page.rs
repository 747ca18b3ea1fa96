use crate::components::{
    action_error, cleared_on_success, loaded, ConsoleShell, Field, FormError, BUTTON, CARD, INPUT,
};
use crate::features::console::api::{list_tenants, CreateTenant, TenantRow};
use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn ConsoleHome() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let state = move || query.read().get("state").unwrap_or_default();
    let create = ServerAction::<CreateTenant>::new();
    let tenants = Resource::new(
        move || (q(), state(), create.version().get()),
        |(q, state, _)| list_tenants(q, state),
    );
    let error = action_error(create);
    let form = cleared_on_success(create);
    view! {
        <ConsoleShell>
            <div class="grid gap-6 md:grid-cols-3">
                <section class=format!("{CARD} md:col-span-2")>
                    <h1 class="mb-4 text-xl font-semibold">"Tenants"</h1>
                    <Form method="GET" action="">
                        <div class="mb-4 flex gap-2">
                            <input class=INPUT name="q" placeholder="Search slug or name" prop:value=q />
                            <select class=INPUT name="state" prop:value=state>
                                <option value="">"Live (active and suspended)"</option>
                                <option value="active">"Active"</option>
                                <option value="suspended">"Suspended"</option>
                                <option value="deleted">"Deleted"</option>
                            </select>
                            <button type="submit" class=BUTTON>"Filter"</button>
                        </div>
                    </Form>
                    {loaded(tenants, move |rows| view! { <TenantTable rows /> })}
                </section>
                <section class=CARD>
                    <h2 class="mb-4 text-lg font-semibold">"Create tenant"</h2>
                    <FormError error />
                    {move || create.value().get().and_then(|r| r.ok()).map(|t| view! {
                        <p class="mb-3 rounded bg-green-50 px-3 py-2 text-sm text-green-800" role="status">
                            "Created " <A href=format!("/console/tenants/{}", t.slug)>{t.slug.clone()}</A>
                        </p>
                    })}
                    <ActionForm action=create node_ref=form>
                        <div class="space-y-3">
                            <Field label="Slug" name="slug" placeholder="acme" error />
                            <Field label="Name" name="name" placeholder="Acme Corporation" error />
                            <Field label="First admin's email" name="admin_email" kind="email" error />
                            <Field label="First admin's password" name="admin_password" kind="password" placeholder="empty: invite them by email" error />
                            <PlacementSelect />
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" name="pending" value="on" />
                                <span class="text-slate-700">"Provision ahead: leave it pending until activated"</span>
                            </label>
                            <button type="submit" class=BUTTON disabled=move || create.pending().get()>"Create tenant"</button>
                            {move || create.pending().get().then(|| view! {
                                <p class="text-sm text-slate-600" aria-live="polite" data-testid="provisioning">
                                    "Provisioning the tenant's storage…"
                                </p>
                            })}
                        </div>
                    </ActionForm>
                </section>
            </div>
        </ConsoleShell>
    }
}

/// Where the new tenant's rows will live, with what each choice is for.
#[component]
fn PlacementSelect() -> impl IntoView {
    view! {
        <label class="block text-sm">
            <span class="text-slate-700">"Placement"</span>
            <select class=INPUT name="placement">
                <option value="">"Deployment default"</option>
                <option value="pool">"pool — shared tables behind row-level security (most tenants)"</option>
                <option value="schema">"schema — a schema of its own (mid tier)"</option>
                <option value="database">"database — a database of its own (premium, compliance)"</option>
            </select>
        </label>
    }
}

#[component]
fn TenantTable(rows: Vec<TenantRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="text-slate-500">"No tenants match."</p> }.into_any();
    }
    view! {
        <table class="w-full text-left text-sm" data-testid="tenant-table">
            <thead>
                <tr class="border-b text-slate-500">
                    <th class="py-2">"Slug"</th>
                    <th>"Name"</th>
                    <th>"State"</th>
                    <th>"Placement"</th>
                    <th>"Created"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|t| {
                        let href = format!("/console/tenants/{}", t.slug);
                        let slug = t.slug.clone();
                        view! {
                        <tr class="border-b" data-slug=t.slug>
                            <td class="py-2"><A href=href attr:class="text-indigo-700 underline">{slug}</A></td>
                            <td>{t.name}</td>
                            <td>{t.state.as_str()}</td>
                            <td data-testid="tenant-placement">{t.placement}</td>
                            <td>{t.created_at}</td>
                        </tr>
                    }})
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
