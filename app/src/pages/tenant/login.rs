use crate::app::SessionCtx;
use crate::components::{action_error, Field, FormError, TenantShell, BUTTON, CARD};
use leptos::prelude::*;

#[component]
pub fn TenantLoginPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let error = action_error(session.tenant_login);
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
                <h1 class="mb-2 text-xl font-semibold">"Sign in"</h1>
                {move || login_text().map(|t| view! { <p class="mb-4 text-sm text-slate-600" data-testid="login-text">{t}</p> })}
                <FormError error />
                <ActionForm action=session.tenant_login>
                    <div class="space-y-3">
                        <Field label="Email" name="email" kind="email" error />
                        <Field label="Password" name="password" kind="password" error />
                        <button type="submit" class=BUTTON>"Sign in"</button>
                    </div>
                </ActionForm>
            </div>
        </TenantShell>
    }
}
