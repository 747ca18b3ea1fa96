use crate::components::{ConsoleShell, SignInForm, CARD};
use leptos::prelude::*;

#[component]
pub fn ConsoleLogin() -> impl IntoView {
    view! {
        <ConsoleShell public=true>
            <div class=format!("{CARD} mx-auto mt-10 max-w-sm")>
                <SignInForm title="Superadmin sign-in" />
            </div>
        </ConsoleShell>
    }
}
