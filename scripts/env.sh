# Shared build environment for scripts/dev and scripts/test (sourced).
# One target directory outside the checkout, reused between runs and clones,
# and the same flags and LEPTOS_* variables cargo-leptos uses for its builds,
# so that `cargo test` and `cargo clippy` reuse what `cargo leptos build`
# compiled instead of building the world a second time.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tenantry/target}
export RUSTFLAGS="--cfg erase_components"
# cargo-leptos erases component types in debug builds only: they compile
# faster, and every component's view becomes a boxed one. Its release builds
# keep the types, so the scripts that build release binaries (the benches)
# call this first and measure what a release ships.
release_build_flags() { export RUSTFLAGS=""; }
export LEPTOS_OUTPUT_NAME=app LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=app \
  LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=false LEPTOS_HASH_FILES=false
# Server-function URLs carry a hash of this key (by default the crate's
# absolute path): a fixed key keeps the browser and server builds agreeing
# even when several checkouts share the target directory.
export SERVER_FN_OVERRIDE_KEY=tenantry
export PATH="$HOME/.cargo/bin:$PATH"
