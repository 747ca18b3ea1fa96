//! `/console/account`: the signed-in superadmin's second factor.

use crate::components::ConsoleShell;
use crate::features::two_factor::panel::TwoFactorPanel;
use leptos::prelude::*;

#[component]
pub fn ConsoleAccount() -> impl IntoView {
    view! {
        <ConsoleShell>
            <h1 class="mb-4 text-2xl font-semibold">"Your account"</h1>
            <TwoFactorPanel />
        </ConsoleShell>
    }
}
