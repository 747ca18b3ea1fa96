#![recursion_limit = "256"]
//! The Leptos application, one folder per feature (`features/`): its pages,
//! its server functions and their server-side bodies. Server function bodies
//! are one call into the feature's `server.rs` (server-only), which calls the
//! core crate through the shared glue in `backend`; the browser build
//! compiles none of that.
//!
//! That call is boxed (`Box::pin(super::server::…).await`). A resource moves
//! its fetcher's future several times before first polling it, and an
//! unboxed body makes that future as large as every database call under it:
//! copying those futures was 4 % of a page's server CPU (docs/benchmarks.md,
//! eighth round). Boxed, the server function's own future is a pointer.

pub mod components;
pub mod dto;
pub mod error;
pub mod features;
pub mod nav;

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
