//! `/welcome`: where a new owner lands after confirming their signup — the
//! first steps, each marked once done.

use crate::components::{loaded, TenantShell, CARD};
use crate::features::signup::api::{first_run, FirstRunDto};
use leptos::prelude::*;

#[component]
pub fn WelcomePage() -> impl IntoView {
    let steps = Resource::new(|| (), |()| first_run());
    view! {
        <TenantShell admin_only=true>
            <div class=format!("{CARD} mx-auto max-w-xl")>
                {loaded(steps, |s| view! { <Checklist s /> })}
            </div>
        </TenantShell>
    }
}

#[component]
fn Checklist(s: FirstRunDto) -> impl IntoView {
    let plan = format!(
        "You are on {}. See what it includes, or change it.",
        s.plan_name
    );
    let steps = [
        (
            "Make it yours",
            "Your logo, colours and name on every page and email.",
            "/admin/branding",
            s.branded,
        ),
        (
            "Invite your team",
            "Members sign in here with their own accounts.",
            "/admin",
            s.invited,
        ),
        (
            "Use your own domain",
            "Serve this workspace from an address you own.",
            "/admin/domains",
            s.domain,
        ),
        ("Your plan", plan.as_str(), "/admin/plan", true),
    ];
    let items = steps
        .into_iter()
        .map(|(title, text, href, done)| {
            let mark = if done { "✓" } else { "○" };
            let state = if done { "done" } else { "to do" };
            let text = text.to_owned();
            view! {
                <li class="flex gap-3 py-3" data-testid="first-run-step" data-done=done.to_string()>
                    <span aria-hidden="true" class="w-5 text-lg text-brand-text">{mark}</span>
                    <div>
                        <a class="font-medium underline" href=href>{title}</a>
                        <span class="sr-only">{format!(" ({state})")}</span>
                        <p class="text-sm text-slate-600">{text}</p>
                    </div>
                </li>
            }
        })
        .collect_view();
    view! {
        <h1 class="text-xl font-semibold">{format!("Welcome to {}", s.organisation)}</h1>
        <p class="mt-1 text-sm text-slate-600">"Your organisation is open. A few first steps:"</p>
        <ol class="mt-3 divide-y divide-slate-200">{items}</ol>
    }
}
