//! `/admin/api-keys`: the organisation's API keys. A new key's secret is shown
//! once, right after it is created; afterwards only its prefix.

use crate::components::{
    action_error, cleared_on_success, loaded, versions, Field, FormError, ListTable, RoleSelect,
    RowAction, TenantShell, BUTTON, CARD,
};
use crate::dto::Role;
use crate::features::api_keys::api::{list_api_keys, ApiKeyDto, CreateApiKey, RevokeApiKey};
use leptos::prelude::*;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || versions(&[create.version(), revoke.version()]),
        |_| list_api_keys(),
    );
    let create_error = action_error(create);
    let create_form = cleared_on_success(create);
    let revoke_error = action_error(revoke);
    let fresh = move || create.value().get().and_then(Result::ok);
    view! {
        <TenantShell admin_only=true>
            <div class="grid gap-6 md:grid-cols-3">
                <section class=format!("{CARD} md:col-span-2")>
                    <h1 class="mb-4 text-xl font-semibold">"API keys"</h1>
                    <p class="mb-4 text-sm text-slate-600">
                        "Send a key as " <code>"Authorization: Bearer <key>"</code>
                        " to this organisation's host. It works nowhere else."
                    </p>
                    {move || fresh().map(|created| view! {
                        <div class="mb-4 rounded border border-amber-300 bg-amber-50 p-3 text-sm" role="status">
                            <p class="font-medium">"Copy this key now: it will not be shown again."</p>
                            <code class="mt-2 block break-all" data-testid="new-api-key">{created.secret}</code>
                        </div>
                    })}
                    <FormError error=revoke_error />
                    {loaded(keys, move |list| view! { <KeyTable list revoke /> })}
                </section>
                <section class=CARD>
                    <h2 class="mb-4 text-lg font-semibold">"New key"</h2>
                    <FormError error=create_error />
                    <ActionForm action=create node_ref=create_form>
                        <div class="space-y-3">
                            <Field label="Name" name="name" error=create_error />
                            <RoleSelect label="Role" roles=&[Role::Member, Role::Viewer, Role::Admin] />
                            <Field label="Expires in (days, empty for never)" name="expires_in_days" kind="number" error=create_error />
                            <Field label="Requests per second (empty: the organisation's limit)" name="requests_per_second" kind="number" error=create_error />
                            <button type="submit" class=BUTTON>"Create key"</button>
                        </div>
                    </ActionForm>
                </section>
            </div>
        </TenantShell>
    }
}

#[component]
fn KeyTable(list: Vec<ApiKeyDto>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let is_empty = list.is_empty();
    view! {
        <ListTable testid="api-key-table" head=&["Name", "Key", "Role", "Rate", "Last used", "Expires", ""] empty="No keys yet. A key lets a script or another service call this workspace's API with the role you give it." is_empty=is_empty>
            {list.into_iter().map(|k| {
                let id = k.id.clone();
                view! {
                    <tr class="border-b" data-name=k.name.clone()>
                        <td class="py-2">{k.name.clone()}</td>
                        <td><code>{format!("{}_…", k.prefix)}</code></td>
                        <td>{k.role.as_str()}</td>
                        <td>{k.requests_per_second.map(|n| format!("{n}/s")).unwrap_or_else(|| "—".into())}</td>
                        <td>{k.last_used_at.clone().unwrap_or_else(|| "never".into())}</td>
                        <td>{k.expires_at.clone().unwrap_or_else(|| "never".into())}</td>
                        <td>
                            {if k.revoked {
                                view! { <span class="text-slate-500">"revoked"</span> }.into_any()
                            } else {
                                view! {
                                    <RowAction action=revoke name="key_id" value=id label="Revoke" class="text-red-700 underline" />
                                }.into_any()
                            }}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
    .into_any()
}
