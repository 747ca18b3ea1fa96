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
    let primary_dark = RwSignal::new(b.primary_color_dark.clone().unwrap_or_default());
    let accent_dark = RwSignal::new(b.accent_color_dark.clone().unwrap_or_default());
    let login_text = RwSignal::new(b.login_text.clone().unwrap_or_default());
    // An empty dark colour falls back to the light one, as on the real pages.
    let or_light = |dark: RwSignal<String>, light: RwSignal<String>| {
        Signal::derive(move || {
            Some(dark.get())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| light.get())
        })
    };
    let look = |primary, accent| Look {
        name: name.into(),
        login_text: login_text.into(),
        primary,
        accent,
    };
    let light = look(primary.into(), accent.into());
    let dark = look(
        or_light(primary_dark, primary),
        or_light(accent_dark, accent),
    );
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
                        <ColourField label="Primary colour" name="primary_color" value=primary error />
                        <ColourField label="Accent colour" name="accent_color" value=accent error />
                        <label class="block text-sm">"Logo URL"
                            <input class=INPUT name="logo_url" value=b.logo_url.clone().unwrap_or_default() aria-invalid=field_error("logo_url") />
                        </label>
                        <label class="block text-sm">"Sign-in page text"
                            <input class=INPUT name="login_text" prop:value=login_text aria-invalid=field_error("login_text")
                                on:input=move |ev| login_text.set(event_target_value(&ev)) />
                        </label>
                        <label class="block text-sm">"Product name (page titles)"
                            <input class=INPUT name="product_name" value=b.product_name.clone().unwrap_or_default() aria-invalid=field_error("product_name") />
                        </label>
                        <label class="block text-sm">"Support email"
                            <input class=INPUT type="email" name="support_email" value=b.support_email.clone().unwrap_or_default() aria-invalid=field_error("support_email") />
                        </label>
                        <ColourField label="Primary colour, dark mode (optional)" name="primary_color_dark" value=primary_dark error />
                        <ColourField label="Accent colour, dark mode (optional)" name="accent_color_dark" value=accent_dark error />
                        <p class="text-xs text-slate-500">"Colours carry white text, so each needs a WCAG AA contrast of at least 4.5:1."</p>
                        <button type="submit" class=BUTTON>"Save branding"</button>
                    </div>
                </ActionForm>
            </section>
            <section class=CARD>
                <h2 class="mb-1 text-lg font-semibold">"Preview"</h2>
                <p class="mb-4 text-sm text-slate-600">"The header and sign-in page as people will see them, before you save."</p>
                <div class="space-y-4" data-testid="branding-preview">
                    <SchemePreview scheme="light" caption="Light" look=light />
                    <SchemePreview scheme="dark" caption="Dark" look=dark />
                </div>
            </section>
        </div>
    }
}

/// What a preview shows: the values typed so far.
#[derive(Clone, Copy)]
struct Look {
    name: Signal<String>,
    login_text: Signal<String>,
    primary: Signal<String>,
    accent: Signal<String>,
}

/// The page colours of each scheme, written out: the stylesheet's scheme
/// colours are resolved once for the whole page, so a preview of the other
/// scheme cannot borrow them. (page, card, text, muted text, border)
const LIGHT: [&str; 5] = ["#f8fafc", "#ffffff", "#0f172a", "#45556c", "#e2e8f0"];
const DARK: [&str; 5] = ["#020618", "#0f172b", "#f8fafc", "#cad5e2", "#314158"];

/// The tenant's header and sign-in card in one colour scheme.
#[component]
fn SchemePreview(scheme: &'static str, caption: &'static str, look: Look) -> impl IntoView {
    let [page, card, text, muted, border] = if scheme == "dark" { DARK } else { LIGHT };
    view! {
        <figure data-scheme=scheme>
            <figcaption class="mb-1 text-xs font-medium text-slate-600">{caption}</figcaption>
            <div class="overflow-hidden rounded border" style:background-color=page style:color=text style:border-color=border>
                <div class="flex items-center gap-3 px-4 py-2 text-sm text-white" data-testid="preview-header" style:background-color=look.primary>
                    <span class="font-semibold">{look.name}</span>
                    <span class="ml-auto rounded px-2 py-0.5 text-xs" style:background-color=look.accent>"you@example.com"</span>
                </div>
                <div class="p-4">
                    <div class="mx-auto max-w-xs rounded-lg border p-4 shadow-sm" style:background-color=card style:border-color=border>
                        {move || Some(look.login_text.get()).filter(|t| !t.is_empty()).map(|t| view! { <p class="mb-2 text-xs" style:color=muted>{t}</p> })}
                        <p class="mb-2 font-semibold">"Sign in"</p>
                        <div class="mb-2 h-6 rounded border" style:border-color=border aria-hidden="true"></div>
                        <div class="mb-3 h-6 rounded border" style:border-color=border aria-hidden="true"></div>
                        <span class="inline-block rounded px-3 py-1 text-xs font-medium text-white" style:background-color=look.primary>"Sign in"</span>
                    </div>
                </div>
            </div>
        </figure>
    }
}

/// A colour as its exact `#rrggbb` text and a picker beside it, both editing
/// `value`.
#[component]
fn ColourField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let invalid = move || error.get().and_then(|e| e.for_field(name)).map(|_| "true");
    // A picker cannot show "none": an unset dark colour shows black there.
    let picked = move || {
        Some(value.get())
            .filter(|c| c.len() == 7)
            .unwrap_or_else(|| "#000000".into())
    };
    view! {
        <label class="block text-sm">{label}
            <span class="flex items-center gap-2">
                <input class=INPUT name=name prop:value=value aria-invalid=invalid
                    on:input=move |ev| value.set(event_target_value(&ev)) />
                <input type="color" class="mt-1 h-9 w-12 cursor-pointer rounded border border-slate-300"
                    aria-label=format!("Colour picker: {}", label.to_lowercase()) prop:value=picked
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </span>
        </label>
    }
}
