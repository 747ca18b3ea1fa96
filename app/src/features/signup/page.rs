//! `/signup` on the base host: the organisation, its address (checked as it
//! is typed), the owner, the plan; then "check your inbox".

use crate::components::{action_error, loaded, Field, FormError, SiteShell, BUTTON, CARD, INPUT};
use crate::features::signup::api::{check_slug, signup_options, SignUp, SignupOptionsDto};
use leptos::prelude::*;

#[component]
pub fn SignupPage() -> impl IntoView {
    let options = Resource::new(|| (), |()| signup_options());
    view! {
        <SiteShell>
            <div class=format!("{CARD} mx-auto mt-6 max-w-md")>
                {loaded(options, |o| view! { <SignupForm o /> })}
            </div>
        </SiteShell>
    }
}

#[component]
fn SignupForm(o: SignupOptionsDto) -> impl IntoView {
    if !o.open {
        return view! {
            <h1 class="mb-2 text-xl font-semibold">"Signup is closed"</h1>
            <p role="status" class="text-sm text-slate-600">
                "New organisations are created by this platform's operators. Ask them for one."
            </p>
        }
        .into_any();
    }
    // Where signup is by invitation, its link carries the token.
    let query = leptos_router::hooks::use_query_map();
    let invite = query.read_untracked().get("invite").unwrap_or_default();
    // Read again by each render of the form (a copy handle).
    let invite_field = StoredValue::new(invite.clone());
    if o.by_invitation && invite.is_empty() {
        return view! {
            <h1 class="mb-2 text-xl font-semibold">"Signup is by invitation"</h1>
            <p role="status" class="text-sm text-slate-600">
                "Open the invitation link you were sent, or ask this platform's operators for one."
            </p>
        }
        .into_any();
    }
    let sign_up = ServerAction::<SignUp>::new();
    let error = action_error(sign_up);
    // Copy handles: the form's children are rendered again on each change.
    let base_domain = StoredValue::new(o.base_domain.clone());
    let options = StoredValue::new(o);
    let done = move || sign_up.value().get().and_then(Result::ok);
    view! {
        <Show
            when=move || done().is_none()
            fallback=move || view! { <CheckInbox done=done().expect("shown once done") /> }
        >
            <h1 class="mb-1 text-xl font-semibold">"Create your organisation"</h1>
            <p class="mb-4 text-sm text-slate-600">"Free to start. You confirm your email, and it opens."</p>
            <FormError error />
            <ActionForm action=sign_up>
                <div class="space-y-3">
                    <Field label="Organisation name" name="name" error />
                    <SlugField base_domain=base_domain.get_value() error />
                    <Field label="Your email" name="email" kind="email" error />
                    <Field label="Choose a password" name="password" kind="password" error />
                    <PlanSelect o=options.get_value() />
                    <input type="hidden" name="invite" value=invite_field.get_value() />
                    <button
                        type="submit"
                        class=format!("{BUTTON} w-full disabled:opacity-60")
                        disabled=move || sign_up.pending().get()
                    >
                        {move || if sign_up.pending().get() { "Creating…" } else { "Create organisation" }}
                    </button>
                </div>
            </ActionForm>
        </Show>
    }
    .into_any()
}

/// The address, with its availability checked as it is typed.
#[component]
fn SlugField(base_domain: String, error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    // An action, not a resource: a resource read here would suspend the
    // page's Suspense around the whole form on every keystroke.
    let check = Action::new_local(|slug: &String| check_slug(slug.clone()));
    let typed = RwSignal::new(false);
    let submitted = move || error.get().and_then(|e| e.for_field("slug"));
    let status = move || {
        let live = typed.get().then(|| check.value().get()).flatten();
        match (live, submitted()) {
            (Some(Ok(host)), None) => Some((false, format!("{host} is available"))),
            (Some(Err(e)), _) => Some((true, e.for_field("slug").unwrap_or_else(|| e.to_string()))),
            (_, Some(message)) => Some((true, message)),
            (None, None) => None,
        }
    };
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">"Address"</span>
            <span class="mt-1 flex items-center gap-1">
                <input
                    class=INPUT
                    type="text"
                    name="slug"
                    autocomplete="off"
                    aria-describedby="slug-status"
                    aria-invalid=move || status().filter(|(bad, _)| *bad).map(|_| "true")
                    on:input=move |ev| {
                        let slug = event_target_value(&ev);
                        typed.set(!slug.trim().is_empty());
                        if !slug.trim().is_empty() {
                            check.dispatch(slug);
                        }
                    }
                />
                <span class="whitespace-nowrap text-slate-500">{format!(".{base_domain}")}</span>
            </span>
            <span id="slug-status" aria-live="polite" data-testid="slug-status">
                {move || status().map(|(bad, message)| {
                    let class = if bad { "text-xs text-red-700" } else { "text-xs text-green-700" };
                    view! { <span class=class data-error-for=bad.then_some("slug")>{message}</span> }
                })}
            </span>
        </label>
    }
}

#[component]
fn PlanSelect(o: SignupOptionsDto) -> impl IntoView {
    view! {
        <label class="block text-sm">
            <span class="font-medium text-slate-700">"Plan"</span>
            <select name="plan" class=INPUT>
                {o.plans.into_iter().map(|p| {
                    let selected = p.key == o.default_plan;
                    view! { <option value=p.key selected=selected>{p.name}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn CheckInbox(done: crate::features::signup::api::SignupDoneDto) -> impl IntoView {
    view! {
        <div role="status" data-testid="signup-done">
            <h1 class="mb-2 text-xl font-semibold">"Check your inbox"</h1>
            <p class="text-sm text-slate-700">
                {format!("We sent a link to {}. Open it to confirm your address: ", done.email)}
                <strong>{done.origin}</strong>
                " opens, and you are signed in as its owner."
            </p>
        </div>
    }
}
