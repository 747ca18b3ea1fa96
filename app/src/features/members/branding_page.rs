use crate::app::SessionCtx;
use crate::components::{action_error, FormError, TenantShell, BUTTON, CARD, INPUT};
use crate::dto::BrandingDto;
use crate::features::members::api::SaveBranding;
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
            {move || branding().map(|b| view! { <Uploads b /> })}
        </TenantShell>
    }
}

/// Logo and favicon uploads: plain multipart forms (they work before the
/// page hydrates); the server re-encodes the image and redirects back here,
/// with `upload_error` when it refused the file.
#[component]
fn Uploads(b: BrandingDto) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let upload_error = move || query.read().get("upload_error");
    let forms = [
        ("logo", "Logo", b.logo_url.clone()),
        ("favicon", "Favicon", b.favicon_url.clone()),
    ];
    view! {
        <section class=format!("{CARD} mt-6") data-testid="uploads">
            <h2 class="mb-1 text-lg font-semibold">"Logo and favicon"</h2>
            <p class="mb-3 text-sm text-slate-600">"PNG, JPEG, GIF or ICO, at most 1 MB. Images are re-encoded; SVG is not accepted."</p>
            {move || upload_error().map(|e| view! { <p role="alert" class="mb-3 text-sm text-red-700">{e}</p> })}
            <div class="grid gap-4 md:grid-cols-2">
                {forms.into_iter().map(|(asset, label, current)| view! {
                    <form method="post" enctype="multipart/form-data" action=format!("/admin/branding/{asset}") class="space-y-2">
                        <label class="block text-sm">{format!("{label} image")}
                            <input class=INPUT type="file" name="file" accept="image/png,image/jpeg,image/gif,image/x-icon" />
                        </label>
                        {current.map(|src| view! { <img src=src alt=format!("Current {label}") class="h-12 w-12 rounded border object-contain" data-testid=format!("current-{asset}") /> })}
                        <button type="submit" class=BUTTON>{format!("Upload {}", label.to_lowercase())}</button>
                    </form>
                }).collect_view()}
            </div>
        </section>
    }
}

/// The branding form and its live preview. Each colour has its exact value
/// and a picker beside it; both edit the same signal.
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
                            <span class="flex items-center gap-2">
                                <input class=INPUT name="primary_color" prop:value=primary aria-invalid=field_error("primary_color")
                                    on:input=move |ev| primary.set(event_target_value(&ev)) />
                                <input type="color" class="mt-1 h-9 w-12 cursor-pointer rounded border border-slate-300"
                                    aria-label="Colour picker for the primary" prop:value=primary
                                    on:input=move |ev| primary.set(event_target_value(&ev)) />
                            </span>
                        </label>
                        <label class="block text-sm">"Accent colour"
                            <span class="flex items-center gap-2">
                                <input class=INPUT name="accent_color" prop:value=accent aria-invalid=field_error("accent_color")
                                    on:input=move |ev| accent.set(event_target_value(&ev)) />
                                <input type="color" class="mt-1 h-9 w-12 cursor-pointer rounded border border-slate-300"
                                    aria-label="Colour picker for the accent" prop:value=accent
                                    on:input=move |ev| accent.set(event_target_value(&ev)) />
                            </span>
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
