//! Two-factor sign-in in the browser: the account page's panel (set up,
//! recovery codes, turn off), the second step of signing in, the prompt a
//! sensitive act shows when it wants a fresh code, and the tenant's rule.

use crate::components::{action_error, loaded, FormError, BUTTON, BUTTON_QUIET, CARD, INPUT};
use crate::error::AppError;
use crate::features::two_factor::api::{
    two_factor_status, BeginTwoFactor, ConfirmFactor, EnrolTwoFactor, EnrolmentDto,
    RenewRecoveryCodes, SetTwoFactorRule, TurnOffTwoFactor, TwoFactorDto,
};
use leptos::prelude::*;

/// The code input every step uses: digits from an authenticator app (the
/// browser may fill a one-time code), or a recovery code.
#[component]
pub fn CodeField(error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.for_field("code"));
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">"Code"</span>
            <input
                class=INPUT
                name="code"
                autocomplete="one-time-code"
                inputmode="text"
                spellcheck="false"
                required
                aria-invalid=move || message().map(|_| "true")
            />
            {move || message().map(|m| view! { <span class="text-xs text-red-700" data-error-for="code">{m}</span> })}
        </label>
    }
}

/// The QR code and key of a factor being set up.
#[component]
pub fn EnrolmentShown(e: EnrolmentDto) -> impl IntoView {
    view! {
        <div class="my-3 flex flex-col items-start gap-2">
            <div class="rounded border border-slate-200 bg-white p-2" inner_html=e.qr_svg></div>
            <p class="text-sm">
                "Or type this key: "
                <code class="select-all font-mono" data-testid="totp-secret">{e.secret}</code>
            </p>
        </div>
    }
}

/// Recovery codes, shown once.
#[component]
pub fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <div class="mt-3 rounded border border-amber-300 bg-amber-50 p-3" role="status">
            <p class="text-sm font-medium">"Your recovery codes"</p>
            <p class="mb-2 text-sm text-slate-700">
                "Keep them somewhere safe: each one signs you in once if you lose your phone. They are not shown again."
            </p>
            <ul class="grid grid-cols-2 gap-1 font-mono text-sm" data-testid="recovery-codes">
                {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// The account page's section: set up, renew recovery codes, turn off.
#[component]
pub fn TwoFactorPanel() -> impl IntoView {
    let begin = ServerAction::<BeginTwoFactor>::new();
    let enrol = ServerAction::<EnrolTwoFactor>::new();
    let renew = ServerAction::<RenewRecoveryCodes>::new();
    let turn_off = ServerAction::<TurnOffTwoFactor>::new();
    // Read again after a change that took: a refused code keeps the form
    // as typed, with its error beside the field.
    let status = Resource::new(
        move || {
            (
                enrol.value().get().and_then(Result::ok),
                renew.value().get().and_then(Result::ok),
                turn_off.value().get().and_then(Result::ok),
            )
        },
        |_| two_factor_status(),
    );
    view! {
        <section class=format!("{CARD} mb-6") data-testid="two-factor">
            <h2 class="mb-2 text-lg font-semibold">"Two-factor sign-in"</h2>
            {loaded(status, move |s| view! { <Status s begin enrol renew turn_off /> })}
        </section>
    }
}

#[component]
fn Status(
    s: TwoFactorDto,
    begin: ServerAction<BeginTwoFactor>,
    enrol: ServerAction<EnrolTwoFactor>,
    renew: ServerAction<RenewRecoveryCodes>,
    turn_off: ServerAction<TurnOffTwoFactor>,
) -> impl IntoView {
    let fresh_codes = move || {
        enrol
            .value()
            .get()
            .or(renew.value().get())
            .and_then(Result::ok)
            .filter(|codes| !codes.is_empty())
    };
    let codes_view = move || fresh_codes().map(|codes| view! { <RecoveryCodes codes /> });
    if !s.enrolled {
        let required = s.required.then(|| view! {
            <p class="mb-2 text-sm text-amber-800">"Required for your account: set it up now."</p>
        });
        return view! {
            {required}
            <p class="mb-3 text-sm text-slate-600">
                "Sign in with your password and a code from an authenticator app on your phone."
            </p>
            <Setup begin enrol />
            {codes_view}
        }
        .into_any();
    }
    let renew_error = action_error(renew);
    let off_error = action_error(turn_off);
    let left = match s.recovery_left {
        1 => "1 recovery code left".to_owned(),
        n => format!("{n} recovery codes left"),
    };
    let can_turn_off = !s.required;
    view! {
        <p class="mb-3 text-sm" data-testid="two-factor-on">
            {format!("On since {}. {left}.", s.enrolled_at)}
        </p>
        {codes_view}
        <div class="mt-4 grid gap-6 sm:grid-cols-2">
            <ActionForm action=renew>
                <h3 class="mb-1 text-sm font-semibold">"New recovery codes"</h3>
                <FormError error=renew_error />
                <CodeField error=renew_error />
                <button type="submit" class=format!("{BUTTON_QUIET} mt-2") disabled=move || renew.pending().get()>"Make new codes"</button>
            </ActionForm>
            {can_turn_off.then(|| view! {
                <ActionForm action=turn_off>
                    <h3 class="mb-1 text-sm font-semibold">"Turn off"</h3>
                    <FormError error=off_error />
                    <CodeField error=off_error />
                    <button type="submit" class=format!("{BUTTON_QUIET} mt-2") disabled=move || turn_off.pending().get()>"Turn off two-factor sign-in"</button>
                </ActionForm>
            })}
        </div>
    }
    .into_any()
}

/// Setting a factor up from the account page: a new key, then its first code.
#[component]
fn Setup(
    begin: ServerAction<BeginTwoFactor>,
    enrol: ServerAction<EnrolTwoFactor>,
) -> impl IntoView {
    let begin_error = action_error(begin);
    let enrol_error = action_error(enrol);
    let started = move || begin.value().get().and_then(Result::ok);
    view! {
        <FormError error=begin_error />
        {move || match started() {
            None => view! {
                <ActionForm action=begin>
                    <button type="submit" class=BUTTON disabled=move || begin.pending().get()>"Set up two-factor sign-in"</button>
                </ActionForm>
            }
            .into_any(),
            Some(e) => {
                let ticket = e.ticket.clone();
                view! {
                    <p class="text-sm">"Scan this code with your authenticator app, then enter the 6-digit code it shows."</p>
                    <EnrolmentShown e />
                    <FormError error=enrol_error />
                    <ActionForm action=enrol>
                        <input type="hidden" name="ticket" value=ticket />
                        <CodeField error=enrol_error />
                        <button type="submit" class=format!("{BUTTON} mt-2") disabled=move || enrol.pending().get()>"Turn on"</button>
                    </ActionForm>
                }
                .into_any()
            }
        }}
    }
}

/// Shown beside a sensitive act refused for want of a recent second
/// factor: a code, then the act can be sent again.
#[component]
pub fn FreshFactorPrompt(error: Signal<Option<AppError>>) -> impl IntoView {
    let confirm = ServerAction::<ConfirmFactor>::new();
    let confirm_error = action_error(confirm);
    let asked = move || {
        error
            .get()
            .is_some_and(|e| e.code == "fresh_factor_required")
    };
    let confirmed = move || matches!(confirm.value().get(), Some(Ok(())));
    move || {
        asked().then(|| {
            if confirmed() {
                return view! {
                    <p class="mb-3 text-sm text-green-800" role="status">"Confirmed. Send it again."</p>
                }
                .into_any();
            }
            view! {
                <ActionForm action=confirm attr:class="mb-3 rounded border border-slate-200 p-3" attr:data-testid="fresh-factor">
                    <FormError error=confirm_error />
                    <CodeField error=confirm_error />
                    <button type="submit" class=format!("{BUTTON} mt-2") disabled=move || confirm.pending().get()>"Confirm"</button>
                </ActionForm>
            }
            .into_any()
        })
    }
}

/// The tenant's rule, on its members page: whether members must use a
/// second factor.
#[component]
pub fn TwoFactorRule(required: bool) -> impl IntoView {
    let set = ServerAction::<SetTwoFactorRule>::new();
    let error = action_error(set);
    let now_required = move || match set.value().get() {
        Some(Ok(r)) => r,
        _ => required,
    };
    view! {
        <section class=format!("{CARD} mb-6") data-testid="two-factor-rule">
            <h2 class="mb-1 text-lg font-semibold">"Two-factor sign-in"</h2>
            <FormError error />
            {move || {
                let on = now_required();
                let (text, label, value) = if on {
                    ("Required: every member signs in with a code from an authenticator app; those without one set it up at their next sign-in.", "Stop requiring it", "false")
                } else {
                    ("Optional: each member chooses on their account page.", "Require it for every member", "true")
                };
                view! {
                    <p class="mb-2 text-sm text-slate-600" data-testid="two-factor-rule-state">{text}</p>
                    <ActionForm action=set>
                        <input type="hidden" name="required" value=value />
                        <button type="submit" class=BUTTON_QUIET disabled=move || set.pending().get()>{label}</button>
                    </ActionForm>
                }
            }}
        </section>
    }
}
