use crate::app::SessionCtx;
use crate::components::{SignInForm, TenantShell, BUTTON_QUIET, CARD, INPUT};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TenantLoginPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    // The page context is loaded by the time the shell shows its children;
    // the text and the single sign-on offer both come from it, read in place
    // (not the whole context cloned for each).
    let login_text = move || {
        session
            .page
            .with(|page| page.as_ref()?.as_ref().ok()?.branding()?.login_text.clone())
    };
    let sso_offered = move || {
        session
            .page
            .with(|page| matches!(page, Some(Ok(ctx)) if ctx.sso_offered()))
    };
    let query = use_query_map();
    let sso_error = move || query.read().get("sso_error");
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                {move || login_text().map(|t| view! { <p class="mb-4 text-sm text-slate-600" data-testid="login-text">{t}</p> })}
                {move || sso_error().map(|e| view! { <p role="alert" class="mb-3 text-sm text-red-700" data-testid="sso-error">{e}</p> })}
                <SignInForm title="Sign in" />
                {move || sso_offered().then(|| view! {
                    // A plain form: a full navigation to the provider.
                    // The address, if given, is passed on as a hint.
                    <form method="get" action="/sso/start" class="mt-4 space-y-2 border-t pt-4">
                        <label class="block text-sm">
                            <span class="font-medium text-slate-700">"Work email (optional)"</span>
                            <input class=INPUT type="email" name="login_hint" />
                        </label>
                        <button type="submit" class=format!("{BUTTON_QUIET} w-full")>
                            "Sign in with single sign-on"
                        </button>
                    </form>
                })}
                <p class="mt-4 text-sm"><a class="underline" href="/forgot">"Forgot your password?"</a></p>
            </div>
        </TenantShell>
    }
}
