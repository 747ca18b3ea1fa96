use crate::app::SessionCtx;
use crate::components::{action_error, FormError, TenantShell, BUTTON, CARD, INPUT};
use crate::dto::BrandingDto;
use crate::server_fns::SaveBranding;
use leptos::prelude::*;

#[component]
pub fn BrandingPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let save = ServerAction::<SaveBranding>::new();
    // A successful save changes the page context (title, colours).
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            session.refresh.update(|n| *n += 1);
        }
    });
    let branding = move || {
        session
            .page
            .get()
            .and_then(|r| r.ok())
            .and_then(|c| c.branding().cloned())
    };
    view! {
        <TenantShell admin_only=true>
            {move || branding().map(|b| view! { <Editor b save /> })}
        </TenantShell>
    }
}

#[component]
fn Editor(b: BrandingDto, save: ServerAction<SaveBranding>) -> impl IntoView {
    let error = action_error(save);
    let name = RwSignal::new(b.display_name.clone());
    let primary = RwSignal::new(b.primary_color.clone());
    let accent = RwSignal::new(b.accent_color.clone());
    let field_error =
        move |f: &'static str| move || error.get().and_then(|e| e.for_field(f)).map(|_| "true");
    view! {
        <div class="grid gap-6 md:grid-cols-2">
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Branding"</h1>
                <FormError error />
                {move || save.value().get().and_then(|r| r.ok()).map(|_| view! { <p role="status" class="mb-3 text-sm text-green-700">"Saved."</p> })}
                <ActionForm action=save>
                    <div class="space-y-3">
                        <label class="block text-sm">"Display name"
                            <input class=INPUT name="display_name" prop:value=name aria-invalid=field_error("display_name")
                                on:input=move |ev| name.set(event_target_value(&ev)) />
                        </label>
                        <label class="block text-sm">"Primary colour"
                            <input class=INPUT name="primary_color" prop:value=primary aria-invalid=field_error("primary_color")
                                on:input=move |ev| primary.set(event_target_value(&ev)) />
                        </label>
                        <label class="block text-sm">"Accent colour"
                            <input class=INPUT name="accent_color" prop:value=accent aria-invalid=field_error("accent_color")
                                on:input=move |ev| accent.set(event_target_value(&ev)) />
                        </label>
                        <label class="block text-sm">"Logo URL"
                            <input class=INPUT name="logo_url" value=b.logo_url.clone().unwrap_or_default() aria-invalid=field_error("logo_url") />
                        </label>
                        <label class="block text-sm">"Sign-in page text"
                            <input class=INPUT name="login_text" value=b.login_text.clone().unwrap_or_default() aria-invalid=field_error("login_text") />
                        </label>
                        <label class="block text-sm">"Product name (page titles)"
                            <input class=INPUT name="product_name" value=b.product_name.clone().unwrap_or_default() aria-invalid=field_error("product_name") />
                        </label>
                        <label class="block text-sm">"Support email"
                            <input class=INPUT type="email" name="support_email" value=b.support_email.clone().unwrap_or_default() aria-invalid=field_error("support_email") />
                        </label>
                        <label class="block text-sm">"Primary colour, dark mode (optional)"
                            <input class=INPUT name="primary_color_dark" value=b.primary_color_dark.clone().unwrap_or_default() aria-invalid=field_error("primary_color_dark") />
                        </label>
                        <label class="block text-sm">"Accent colour, dark mode (optional)"
                            <input class=INPUT name="accent_color_dark" value=b.accent_color_dark.clone().unwrap_or_default() aria-invalid=field_error("accent_color_dark") />
                        </label>
                        <p class="text-xs text-slate-500">"Colours carry white text, so each needs a WCAG AA contrast of at least 4.5:1."</p>
                        <button type="submit" class=BUTTON>"Save branding"</button>
                    </div>
                </ActionForm>
            </section>
            <section class=CARD>
                <h2 class="mb-4 text-lg font-semibold">"Preview"</h2>
                <div class="overflow-hidden rounded border" data-testid="branding-preview">
                    <div class="px-4 py-3 font-semibold text-white" style:background-color=move || primary.get()>{move || name.get()}</div>
                    <div class="p-4">
                        <span class="rounded px-2 py-1 text-white" style:background-color=move || accent.get()>"Accent"</span>
                    </div>
                </div>
            </section>
        </div>
    }
}
