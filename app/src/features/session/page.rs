use crate::app::SessionCtx;
use crate::components::{SignInForm, TenantShell, BUTTON_QUIET, CARD, INPUT};
use crate::features::sso::api::sso_available;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TenantLoginPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let login_text = move || {
        session
            .page
            .get()
            .and_then(|r| r.ok())
            .and_then(|ctx| ctx.branding().and_then(|b| b.login_text.clone()))
    };
    let query = use_query_map();
    let sso_error = move || query.read().get("sso_error");
    let sso = Resource::new(|| (), |_| sso_available());
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                {move || login_text().map(|t| view! { <p class="mb-4 text-sm text-slate-600" data-testid="login-text">{t}</p> })}
                {move || sso_error().map(|e| view! { <p role="alert" class="mb-3 text-sm text-red-700" data-testid="sso-error">{e}</p> })}
                <SignInForm title="Sign in" />
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        matches!(sso.await, Ok(true)).then(|| view! {
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
                        })
                    })}
                </Suspense>
                <p class="mt-4 text-sm"><a class="underline" href="/forgot">"Forgot your password?"</a></p>
            </div>
        </TenantShell>
    }
}
