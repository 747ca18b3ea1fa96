//! Custom domains: add a host name, create the DNS records shown, verify,
//! make it the primary host. The same manager serves a tenant's admin area
//! (`/admin/domains`) and the console's tenant page (`slug` names the tenant
//! there; on a tenant host the server ignores it).

use crate::components::{
    action_error, cleared_on_success, loaded, Field, FormError, TenantShell, BUTTON, BUTTON_QUIET,
    CARD,
};
use crate::dto::DomainState;
use crate::features::domains::api::{
    list_domains, AddDomain, DomainDto, MakeDomainPrimary, RemoveDomain, VerifyDomain,
};
use leptos::prelude::*;

#[component]
pub fn TenantDomains() -> impl IntoView {
    view! {
        <TenantShell admin_only=true>
            <DomainManager slug=String::new() />
        </TenantShell>
    }
}

#[component]
pub fn DomainManager(slug: String) -> impl IntoView {
    let add = ServerAction::<AddDomain>::new();
    let verify = ServerAction::<VerifyDomain>::new();
    let primary = ServerAction::<MakeDomainPrimary>::new();
    let remove = ServerAction::<RemoveDomain>::new();
    let domains = Resource::new(
        {
            let slug = slug.clone();
            move || {
                (
                    slug.clone(),
                    add.version().get(),
                    verify.version().get(),
                    primary.version().get(),
                    remove.version().get(),
                )
            }
        },
        |(slug, ..)| list_domains(slug),
    );
    let add_error = action_error(add);
    let add_form = cleared_on_success(add);
    let row_error = Signal::derive(move || {
        action_error(verify)
            .get()
            .or(action_error(primary).get())
            .or(action_error(remove).get())
    });
    let actions = RowActions {
        verify,
        primary,
        remove,
    };
    let table_slug = slug.clone();
    view! {
        <section class=CARD data-testid="domains">
            <h2 class="mb-1 text-lg font-semibold">"Custom domains"</h2>
            <p class="mb-4 text-sm text-slate-600">
                "Serve this workspace on your own host name. Add it, create the DNS records shown, then verify."
            </p>
            <FormError error=row_error />
            {loaded(domains, move |list| view! { <DomainTable list slug=table_slug.clone() actions /> })}
            <FormError error=add_error />
            <ActionForm action=add node_ref=add_form>
                <input type="hidden" name="slug" value=slug />
                <div class="mt-4 flex items-end gap-2">
                    <Field label="Host name" name="hostname" placeholder="app.example.com" error=add_error />
                    <button type="submit" class=BUTTON>"Add domain"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[derive(Clone, Copy)]
struct RowActions {
    verify: ServerAction<VerifyDomain>,
    primary: ServerAction<MakeDomainPrimary>,
    remove: ServerAction<RemoveDomain>,
}

#[component]
fn DomainTable(list: Vec<DomainDto>, slug: String, actions: RowActions) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <crate::components::EmptyState
                message="No custom domains yet. Add one you own, prove it with a DNS record, and this workspace answers there."
            />
        }
        .into_any();
    }
    view! {
        <ul class="space-y-4" data-testid="domain-list">
            {list.into_iter().map(|d| view! { <DomainRow d slug=slug.clone() actions /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DomainRow(d: DomainDto, slug: String, actions: RowActions) -> impl IntoView {
    let tone = match d.state {
        DomainState::Verified => "bg-green-100 text-green-800",
        DomainState::Lapsed => "bg-red-100 text-red-800",
        DomainState::Pending => "bg-amber-100 text-amber-800",
    };
    let hostname = d.hostname.clone();
    let verified = d.state == DomainState::Verified;
    let (id_verify, id_primary, id_remove) = (d.id.clone(), d.id.clone(), d.id.clone());
    let (slug_verify, slug_primary, slug_remove) = (slug.clone(), slug.clone(), slug);
    view! {
        <li class="rounded border border-slate-200 p-3" data-hostname=hostname data-state=d.state.as_str()>
            <div class="flex flex-wrap items-center gap-2">
                <span class="font-mono text-sm">{d.hostname.clone()}</span>
                <span class=format!("rounded px-2 py-0.5 text-xs {tone}") data-testid="domain-state">{d.state.as_str()}</span>
                {d.is_primary.then(|| view! { <span class="rounded bg-indigo-100 px-2 py-0.5 text-xs text-indigo-800">"primary"</span> })}
                <div class="ml-auto flex gap-3 text-sm">
                    <ActionForm action=actions.verify>
                        <input type="hidden" name="slug" value=slug_verify />
                        <input type="hidden" name="domain_id" value=id_verify />
                        <button type="submit" class=BUTTON_QUIET>"Verify"</button>
                    </ActionForm>
                    {(verified && !d.is_primary).then(move || view! {
                        <ActionForm action=actions.primary>
                            <input type="hidden" name="slug" value=slug_primary />
                            <input type="hidden" name="domain_id" value=id_primary />
                            <button type="submit" class="underline">"Make primary"</button>
                        </ActionForm>
                    })}
                    <ActionForm action=actions.remove>
                        <input type="hidden" name="slug" value=slug_remove />
                        <input type="hidden" name="domain_id" value=id_remove />
                        <button type="submit" class="text-red-700 underline">"Remove"</button>
                    </ActionForm>
                </div>
            </div>
            <table class="mt-2 w-full text-left text-xs">
                <thead><tr class="text-slate-500"><th>"Type"</th><th>"Name"</th><th>"Value"</th></tr></thead>
                <tbody class="font-mono">
                    <tr>
                        <td>"TXT"</td>
                        <td class="break-all" data-testid="txt-name">{d.txt_name}</td>
                        <td class="break-all" data-testid="txt-value">{d.txt_value}</td>
                    </tr>
                    <tr><td>"CNAME"</td><td class="break-all">{d.hostname}</td><td class="break-all">{d.cname_target}</td></tr>
                </tbody>
            </table>
            {d.last_error.map(|e| view! { <p class="mt-2 text-xs text-red-700" data-testid="domain-error">{e}</p> })}
            {d.checked_at.map(|t| view! { <p class="mt-1 text-xs text-slate-500">{format!("Last checked {t}")}</p> })}
        </li>
    }
}
