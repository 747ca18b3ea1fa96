//! Pages reached from an email link, signed out: accepting an invitation,
//! asking for a password reset, and setting the new password.

use crate::components::{action_error, loaded, Field, FormError, TenantShell, BUTTON, CARD};
use crate::features::invitations::api::{
    invitation_offer, reset_link_valid, AcceptInvitation, RequestPasswordReset, ResetPassword,
};
use crate::features::members::api::verify_email;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

fn token() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("token").unwrap_or_default())
}

/// `/invite/:token`: who is invited, as what, and the form that creates the
/// account.
#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let token = token();
    let offer = Resource::new(move || token.get(), invitation_offer);
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = action_error(accept);
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                {loaded(offer, move |o| {
                    let done = move || accept.value().get().and_then(Result::ok);
                    view! {
                        <h1 class="mb-2 text-xl font-semibold">{format!("Join {}", o.organisation)}</h1>
                        <p class="mb-4 text-sm text-slate-600" data-testid="invited-as">
                            {format!("{} is invited as {}.", o.email, o.role)}
                        </p>
                        <Show
                            when=move || done().is_none()
                            fallback=move || view! {
                                <p role="status">"Your account is ready. "
                                    <a class="underline" href="/login">"Sign in"</a></p>
                            }
                        >
                            <FormError error />
                            <ActionForm action=accept>
                                <input type="hidden" name="token" value=token.get_untracked() />
                                <div class="space-y-3">
                                    <Field label="Display name" name="display_name" error />
                                    <Field label="Choose a password" name="password" kind="password" error />
                                    <button type="submit" class=BUTTON>"Create my account"</button>
                                </div>
                            </ActionForm>
                        </Show>
                    }
                })}
            </div>
        </TenantShell>
    }
}

/// `/forgot`: asks for a reset link. The answer is the same for every
/// address, so the page cannot tell who has an account.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(request);
    let sent = move || matches!(request.value().get(), Some(Ok(())));
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                <h1 class="mb-2 text-xl font-semibold">"Reset your password"</h1>
                <Show
                    when=move || !sent()
                    fallback=|| view! {
                        <p role="status">"If that address has an account here, a link to reset its password is on its way."</p>
                    }
                >
                    <FormError error />
                    <ActionForm action=request>
                        <div class="space-y-3">
                            <Field label="Email" name="email" kind="email" error />
                            <button type="submit" class=BUTTON>"Send me a link"</button>
                        </div>
                    </ActionForm>
                </Show>
            </div>
        </TenantShell>
    }
}

/// `/reset/:token`: the new password.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = token();
    let valid = Resource::new(move || token.get(), reset_link_valid);
    let reset = ServerAction::<ResetPassword>::new();
    let error = action_error(reset);
    let done = move || matches!(reset.value().get(), Some(Ok(())));
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                <h1 class="mb-2 text-xl font-semibold">"Choose a new password"</h1>
                {loaded(valid, move |()| view! {
                    <Show
                        when=move || !done()
                        fallback=|| view! {
                            <p role="status">"Your password is changed and every other session is signed out. "
                                <a class="underline" href="/login">"Sign in"</a></p>
                        }
                    >
                        <FormError error />
                        <ActionForm action=reset>
                            <input type="hidden" name="token" value=token.get_untracked() />
                            <div class="space-y-3">
                                <Field label="New password" name="password" kind="password" error />
                                <button type="submit" class=BUTTON>"Change password"</button>
                            </div>
                        </ActionForm>
                    </Show>
                })}
            </div>
        </TenantShell>
    }
}

/// `/verify/:token`: confirms an email address (opening the link is enough).
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let token = token();
    let verified = Resource::new(move || token.get(), verify_email);
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                <h1 class="mb-2 text-xl font-semibold">"Email address"</h1>
                {loaded(verified, |email| view! {
                    <p role="status">{format!("{email} is verified. ")}
                        <a class="underline" href="/login">"Sign in"</a></p>
                })}
            </div>
        </TenantShell>
    }
}
