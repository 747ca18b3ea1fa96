#![recursion_limit = "256"]
//! The Leptos application: pages, components and server functions. Server
//! function bodies are one call into `backend` (server-only), which calls the
//! core crate; the browser build compiles none of that.

pub mod components;
pub mod dto;
pub mod error;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "ssr")]
pub mod shell;

mod app;
pub use app::App;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
