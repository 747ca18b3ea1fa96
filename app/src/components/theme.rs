//! The light / dark / system choice. The server puts the remembered choice
//! on `<html>` as a class; the stylesheet sets `color-scheme` from it, and
//! every colour is a `light-dark()` pair, so the whole page follows without
//! a class per element.

use crate::features::appearance::api::SetTheme;
use leptos::prelude::*;

/// The cookie that remembers the choice on each host.
pub const THEME_COOKIE: &str = "tenantry_theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// The device's setting.
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Its word, which is also its class on `<html>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Theme::System => "System colours",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// The choice a request's `Cookie` header remembers; system when none.
    pub fn from_cookies(header: &str) -> Self {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == THEME_COOKIE)
            .and_then(|(_, value)| Self::parse(value))
            .unwrap_or_default()
    }

    /// The `Set-Cookie` value remembering this choice for a year.
    pub fn cookie(self, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!(
            "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
            self.as_str()
        )
    }
}

/// The picker: applies the choice to the page at once, and has the server
/// remember it for the next.
#[component]
pub fn ThemeChoice() -> impl IntoView {
    let remember = ServerAction::<SetTheme>::new();
    let shown = RwSignal::new(Theme::System);
    // After hydration: what the server put on <html>.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            shown.set(Theme::parse(&root.class_name()).unwrap_or_default());
        }
    });
    let choose = move |ev| {
        let Some(theme) = Theme::parse(&event_target_value(&ev)) else {
            return;
        };
        shown.set(theme);
        if let Some(root) = document().document_element() {
            root.set_class_name(theme.as_str());
        }
        remember.dispatch(SetTheme {
            theme: theme.as_str().to_owned(),
        });
    };
    view! {
        <select
            class="rounded border border-slate-300 bg-surface px-1.5 py-0.5 text-xs text-slate-900"
            aria-label="Colour scheme"
            data-testid="theme-choice"
            prop:value=move || shown.get().as_str()
            on:change=choose
        >
            {Theme::ALL.map(|t| view! { <option value=t.as_str()>{t.label()}</option> })}
        </select>
    }
}
