//! What each server function needs from its caller: the declarations the
//! gateway enforces before a function runs (an undeclared one is refused) and
//! the attack suite's privilege matrix checks, role by role, against what the
//! function actually allows. Each feature declares its own beside its
//! functions (`NEEDS` in `features/<feature>/api.rs`); a function missing
//! there fails the `every_server_function_declares_its_need` test.

use crate::features;
use std::sync::LazyLock;
use tenantry::authz::Need;

/// Every server function's declared need, gathered from the features
/// (each declares its own in `features/<feature>/api.rs`, beside the
/// functions).
pub static SERVER_FNS: LazyLock<Vec<(&'static str, Need)>> = LazyLock::new(|| {
    [
        features::account::api::NEEDS,
        features::activity::api::NEEDS,
        features::appearance::api::NEEDS,
        features::api_keys::api::NEEDS,
        features::billing::api::NEEDS,
        features::console::api::NEEDS,
        features::data_keys::api::NEEDS,
        features::domains::api::NEEDS,
        features::exports::api::NEEDS,
        features::flags::api::NEEDS,
        features::invitations::api::NEEDS,
        features::jobs::api::NEEDS,
        features::members::api::NEEDS,
        features::payments::api::NEEDS,
        features::placements::api::NEEDS,
        features::plans::api::NEEDS,
        features::product::api::NEEDS,
        features::restores::api::NEEDS,
        features::session::api::NEEDS,
        features::signup::api::NEEDS,
        features::sso::api::NEEDS,
        features::tenant_audit::api::NEEDS,
        features::two_factor::api::NEEDS,
        features::webhooks::api::NEEDS,
    ]
    .concat()
});

/// The function a server-function URL names: its last segment without the
/// digits the macro appends (`/api/list_projects1234` → `list_projects`).
pub fn fn_name(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The need declared for the server function at `path`, if any.
pub fn need_of(path: &str) -> Option<Need> {
    let name = fn_name(path);
    SERVER_FNS
        .iter()
        .find(|(declared, _)| *declared == name)
        .map(|(_, need)| *need)
}
