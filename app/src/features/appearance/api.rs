//! Choosing the colour scheme: the server function (its body one call into
//! `server.rs`).

use crate::error::AppError;
use leptos::prelude::*;
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[("set_theme", Need::Anyone)];

/// Remembers `theme` (`system`, `light` or `dark`) on this host.
#[server]
pub async fn set_theme(theme: String) -> Result<(), AppError> {
    Box::pin(super::server::set_theme(theme)).await
}
