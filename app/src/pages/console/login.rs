use crate::app::SessionCtx;
use crate::components::{action_error, ConsoleShell, Field, FormError, BUTTON, CARD};
use leptos::prelude::*;

#[component]
pub fn ConsoleLogin() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let error = action_error(session.admin_login);
    view! {
        <ConsoleShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                <h1 class="mb-4 text-xl font-semibold">"Superadmin sign-in"</h1>
                <FormError error />
                <ActionForm action=session.admin_login>
                    <div class="space-y-3">
                        <Field label="Email" name="email" kind="email" error />
                        <Field label="Password" name="password" kind="password" error />
                        <button type="submit" class=BUTTON>"Sign in"</button>
                    </div>
                </ActionForm>
            </div>
        </ConsoleShell>
    }
}
