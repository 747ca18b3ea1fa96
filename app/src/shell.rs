//! The HTML document around every page, rendered on the server only, and
//! its Content-Security-Policy. Scripts run only with this response's nonce
//! (which Leptos puts on its hydration and streaming scripts) or when such a
//! script loads them (`strict-dynamic`: the wasm bundle's loader), plus wasm
//! compilation; no inline script without the nonce, no framing.

use crate::components::Theme;
use crate::App;
use leptos::prelude::*;
use leptos_meta::MetaTags;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    if let (Some(nonce), Some(response)) =
        (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    {
        let policy = content_security_policy(&nonce, &options);
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    // The remembered colour scheme, as a class the stylesheet reads.
    // Read in place: the request head is not cloned for one header.
    let theme = with_context::<http::request::Parts, _>(|parts| {
        let cookies = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
        Some(Theme::from_cookies(cookies))
    })
    .flatten()
    .unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en" class=theme.as_str()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // Only under `cargo leptos watch`: it would read the
                // environment and clone the options on every page to say no.
                {WATCHED.then(|| view! { <AutoReload options=options.clone() /> })}
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900">
                <App />
            </body>
        </html>
    }
}

/// Whether `cargo leptos watch` started this server: read from the
/// environment once, not on every page.
static WATCHED: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("LEPTOS_WATCH").is_some());

/// The policy for one page. Styles may be inline (the tenant's colours are a
/// `<style>` the client may replace when branding changes); images may come
/// from https (a tenant's logo URL). `cargo leptos watch` reloads pages over
/// a websocket on its own port.
fn content_security_policy(nonce: &str, options: &LeptosOptions) -> String {
    let reload = match *WATCHED {
        true => format!(" ws://*:{}", options.reload_port),
        false => String::new(),
    };
    format!(
        "default-src 'self'; \
         script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; \
         font-src 'self'; connect-src 'self'{reload}; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}
