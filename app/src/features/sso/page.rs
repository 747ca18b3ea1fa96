//! `/admin/sso`: the organisation's OpenID Connect provider.

use crate::components::{
    action_error, loaded, versions, Field, FormError, TenantShell, BUTTON, BUTTON_QUIET, CARD,
    INPUT,
};
use crate::dto::Role;
use crate::features::sso::api::{get_sso, RemoveSso, SaveSso, SsoDto};
use leptos::prelude::*;

#[component]
pub fn SsoPage() -> impl IntoView {
    let save = ServerAction::<SaveSso>::new();
    let remove = ServerAction::<RemoveSso>::new();
    let current = Resource::new(
        move || versions(&[save.version(), remove.version()]),
        |_| get_sso(),
    );
    let error = action_error(save);
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <TenantShell admin_only=true>
            <section class=format!("{CARD} max-w-2xl")>
                <h1 class="mb-2 text-xl font-semibold">"Single sign-on"</h1>
                <p class="mb-4 text-sm text-slate-600">
                    "Members sign in through your OpenID Connect provider. Only an owner can change it."
                </p>
                <Show when=saved>
                    <p role="status" class="mb-3 text-sm text-green-700">"Saved: the provider answered discovery."</p>
                </Show>
                <FormError error />
                {loaded(current, move |page| view! {
                    <p class="mb-4 text-sm text-slate-600">
                        "Register this redirect URI with the provider: "
                        <code data-testid="redirect-uri">{page.redirect_uri.clone()}</code>
                    </p>
                    <p class="mb-4 text-sm text-slate-600">
                        "Prove each allowed email domain with a DNS TXT record at "
                        <code>{page.domain_proof_name.clone()}</code>
                        " holding "
                        <code data-testid="domain-proof">{page.domain_proof_value.clone()}</code>
                    </p>
                    <SsoForm cfg=page.config save remove error />
                })}
            </section>
        </TenantShell>
    }
}

#[component]
fn SsoForm(
    cfg: Option<SsoDto>,
    save: ServerAction<SaveSso>,
    remove: ServerAction<RemoveSso>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let configured = cfg.is_some();
    let c = cfg.unwrap_or(SsoDto {
        issuer: String::new(),
        client_id: String::new(),
        has_client_secret: false,
        allowed_domains: String::new(),
        jit_provisioning: false,
        default_role: Role::Member,
        enforce_sso: false,
        break_glass_email: String::new(),
        updated: String::new(),
    });
    let secret_hint = if c.has_client_secret {
        "stored; leave empty to keep it"
    } else {
        "none (public client)"
    };
    view! {
        <ActionForm action=save>
            <div class="space-y-3">
                <Field label="Issuer URL" name="issuer" value=c.issuer.clone() placeholder="https://login.example.com" error />
                <Field label="Client ID" name="client_id" value=c.client_id.clone() error />
                <Field label="Client secret" name="client_secret" kind="password" placeholder=secret_hint error />
                <Field label="Allowed email domains" name="allowed_domains" value=c.allowed_domains.clone() placeholder="example.com, example.org" error />
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="jit_provisioning" value="true" checked=c.jit_provisioning />
                    "Create accounts on first sign-in"
                </label>
                <label class="block text-sm">
                    <span class="font-medium text-slate-700">"Role of new accounts"</span>
                    <select class=INPUT name="default_role">
                        {[Role::Member, Role::Viewer, Role::Admin].into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == c.default_role>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="enforce_sso" value="true" checked=c.enforce_sso />
                    "Enforce single sign-on (password sign-in off)"
                </label>
                <Field label="Break-glass owner (keeps password sign-in)" name="break_glass_email" kind="email" value=c.break_glass_email.clone() error />
                <div class="flex gap-3">
                    <button type="submit" class=BUTTON>"Save"</button>
                </div>
            </div>
        </ActionForm>
        {configured.then(|| view! {
            <p class="mt-4 text-xs text-slate-500">{format!("Last changed {}", c.updated)}</p>
            <p class="mt-3 text-sm text-slate-600">
                "Owners sign in through the provider only once they have linked their identity there. "
                <a class="underline" rel="external" href="/sso/start?link=1&next=/admin/sso" data-testid="sso-link">
                    "Link my identity"
                </a>
            </p>
            <ActionForm action=remove>
                <button type="submit" class=format!("{BUTTON_QUIET} mt-3")>"Turn single sign-on off"</button>
            </ActionForm>
        })}
    }
}
