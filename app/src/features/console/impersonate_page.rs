//! The console tenant page's support section: act as one of the tenant's
//! members for a limited time, with a reason that goes to its audit log.

use crate::components::{action_error, Field, FormError, BUTTON, CARD};
use crate::features::console::api::Impersonate;
use leptos::prelude::*;

#[component]
pub fn ImpersonateForm(slug: String) -> impl IntoView {
    let start = ServerAction::<Impersonate>::new();
    let error = action_error(start);
    let link = move || start.value().get().and_then(Result::ok);
    view! {
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-2 text-lg font-semibold">"Act as a member"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "For support: the session is limited in time, shows a banner on every page, and each request is written to the organisation's audit log under your name and theirs."
            </p>
            <FormError error />
            <crate::features::two_factor::panel::FreshFactorPrompt error />
            <ActionForm action=start>
                <input type="hidden" name="slug" value=slug />
                <div class="space-y-3">
                    <Field label="Member's email" name="email" kind="email" error />
                    <Field label="Reason" name="reason" error />
                    <button type="submit" class=BUTTON>"Start support session"</button>
                </div>
            </ActionForm>
            {move || link().map(|l| view! {
                <p class="mt-3 text-sm" role="status">
                    <a class="underline" rel="external" href=l.url.clone() data-testid="impersonation-link">"Open the organisation as this member"</a>
                    {format!(" (until {})", l.expires_at)}
                </p>
            })}
        </section>
    }
}
