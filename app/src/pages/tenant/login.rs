use crate::app::SessionCtx;
use crate::components::{SignInForm, TenantShell, CARD};
use leptos::prelude::*;

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
    view! {
        <TenantShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                {move || login_text().map(|t| view! { <p class="mb-4 text-sm text-slate-600" data-testid="login-text">{t}</p> })}
                <SignInForm title="Sign in" />
                <p class="mt-4 text-sm"><a class="underline" href="/forgot">"Forgot your password?"</a></p>
            </div>
        </TenantShell>
    }
}
