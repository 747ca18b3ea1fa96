//! `/account`: the signed-in member's name, password and sessions.

use crate::components::{
    action_error, loaded, Field, FormError, RowAction, TenantShell, BUTTON, BUTTON_QUIET, CARD,
};
use crate::features::account::api::{
    confirm_email_change, my_account, AccountDto, ChangeMyEmail, ChangeMyPassword, RenameMe,
    RevokeMySession,
};
use crate::features::two_factor::panel::TwoFactorPanel;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let rename = ServerAction::<RenameMe>::new();
    let password = ServerAction::<ChangeMyPassword>::new();
    let revoke = ServerAction::<RevokeMySession>::new();
    // Read again after a change that took (a refusal keeps the forms as
    // typed): the sessions a revocation or a password change ended.
    let account = Resource::new(
        move || {
            let took = |v: Option<Result<u64, crate::error::AppError>>| v.and_then(Result::ok);
            (
                revoke.version().get(),
                took(password.value().get()),
                rename.value().get().and_then(Result::ok),
            )
        },
        |_| my_account(),
    );
    view! {
        <TenantShell>
            <h1 class="mb-4 text-2xl font-semibold">"Your account"</h1>
            <TwoFactorPanel />
            {loaded(account, move |a| view! { <Account a rename password revoke /> })}
        </TenantShell>
    }
}

#[component]
fn Account(
    a: AccountDto,
    rename: ServerAction<RenameMe>,
    password: ServerAction<ChangeMyPassword>,
    revoke: ServerAction<RevokeMySession>,
) -> impl IntoView {
    let rename_error = action_error(rename);
    let password_error = action_error(password);
    let ended = move || match password.value().get() {
        Some(Ok(n)) => Some(match n {
            0 => "Password changed.".to_owned(),
            1 => "Password changed; your other session is signed out.".to_owned(),
            n => format!("Password changed; your {n} other sessions are signed out."),
        }),
        _ => None,
    };
    let rows = a
        .sessions
        .into_iter()
        .map(|s| {
            let action = match s.current {
                true => view! { <span class="text-xs text-slate-500">"This session"</span> }.into_any(),
                false => view! {
                    <RowAction action=revoke name="handle" value=s.handle.clone() label="Sign out" class=BUTTON_QUIET />
                }
                .into_any(),
            };
            view! {
                <tr data-testid="session-row" data-current=s.current.to_string()>
                    <td class="py-2 pr-3 text-sm">{s.device}</td>
                    <td class="py-2 pr-3 text-sm">{s.address}</td>
                    <td class="py-2 pr-3 text-sm">{s.signed_in_at}</td>
                    <td class="py-2 pr-3 text-sm">{s.last_used_at}</td>
                    <td class="py-2 text-right">{action}</td>
                </tr>
            }
        })
        .collect_view();
    let organisations = (!a.organisations.is_empty()).then(|| {
        let links = a
            .organisations
            .into_iter()
            .map(|o| view! {
                <li><a class="text-indigo-700 underline" rel="external" href=o.url.clone()>{o.name}</a>
                    <span class="ml-2 text-xs text-slate-500">{o.url}</span></li>
            })
            .collect_view();
        view! {
            <section class=CARD id="organisations" aria-labelledby="switch">
                <h2 id="switch" class="mb-1 text-lg font-semibold">"Switch organisation"</h2>
                <p class="mb-3 text-sm text-slate-600">"Your address belongs to these organisations too. Each has its own sign-in."</p>
                <ul class="space-y-1" data-testid="organisations">{links}</ul>
            </section>
        }
    });
    view! {
        <div class="space-y-6">
            {organisations}
            <section class=CARD aria-labelledby="profile">
                <h2 id="profile" class="mb-3 text-lg font-semibold">"Profile"</h2>
                <p class="mb-3 text-sm text-slate-600">{format!("{} · {}", a.email, a.role)}</p>
                <FormError error=rename_error />
                <ActionForm action=rename>
                    <div class="flex items-end gap-3">
                        <div class="grow">
                            <Field label="Display name" name="display_name" value=a.display_name error=rename_error />
                        </div>
                        <button type="submit" class=BUTTON disabled=move || rename.pending().get()>"Save"</button>
                    </div>
                </ActionForm>
            </section>
            <EmailChange />
            <section class=CARD aria-labelledby="password">
                <h2 id="password" class="mb-3 text-lg font-semibold">"Password"</h2>
                <FormError error=password_error />
                {move || ended().map(|m| view! { <p role="status" class="mb-3 text-sm text-green-700">{m}</p> })}
                <ActionForm action=password>
                    <div class="space-y-3">
                        <Field label="Current password" name="current_password" kind="password" error=password_error />
                        <Field label="New password" name="new_password" kind="password" error=password_error />
                        <button type="submit" class=BUTTON disabled=move || password.pending().get()>"Change password"</button>
                    </div>
                </ActionForm>
            </section>
            <section class=CARD aria-labelledby="sessions">
                <h2 id="sessions" class="mb-3 text-lg font-semibold">"Where you are signed in"</h2>
                <table class="w-full text-left" data-testid="session-table">
                    <thead class="text-xs uppercase text-slate-500">
                        <tr>
                            <th class="pr-3">"Device"</th>
                            <th class="pr-3">"Address"</th>
                            <th class="pr-3">"Signed in"</th>
                            <th class="pr-3">"Last used"</th>
                            <th><span class="sr-only">"Action"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </section>
        </div>
    }
}

/// Changing the address: the current password, then a link to the new one.
#[component]
fn EmailChange() -> impl IntoView {
    let change = ServerAction::<ChangeMyEmail>::new();
    let error = action_error(change);
    let sent = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class=CARD aria-labelledby="email">
            <h2 id="email" class="mb-3 text-lg font-semibold">"Email address"</h2>
            <FormError error />
            {move || sent().then(|| view! {
                <p role="status" class="mb-3 text-sm text-green-700">
                    "We sent a link to the new address. Your address changes when you open it."
                </p>
            })}
            <ActionForm action=change>
                <div class="space-y-3">
                    <Field label="New email address" name="new_email" kind="email" error />
                    <Field label="Your password" name="current_password" kind="password" error />
                    <button type="submit" class=BUTTON disabled=move || change.pending().get()>"Send a confirmation link"</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// `/account/email/:token`: the link sent to a new address; opening it makes
/// the address the member's.
#[component]
pub fn ConfirmEmailChangePage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let changed = Resource::new(token, confirm_email_change);
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                <h1 class="mb-2 text-xl font-semibold">"Email address"</h1>
                {loaded(changed, |email| view! {
                    <p role="status">{format!("Your address is now {email}. ")}
                        <a class="underline" href="/login">"Sign in"</a></p>
                })}
            </div>
        </TenantShell>
    }
}
