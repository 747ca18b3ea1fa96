//! Crash injection for the fault tests: when `TENANTRY_FAILPOINT` names a
//! point, the process aborts there, as a `kill -9` would stop it (no
//! destructors, no rollback messages, connections simply drop). Unset, each
//! check is one comparison against a value read once.

use std::sync::OnceLock;

fn armed() -> Option<&'static str> {
    static POINT: OnceLock<Option<String>> = OnceLock::new();
    POINT
        .get_or_init(|| {
            std::env::var("TENANTRY_FAILPOINT")
                .ok()
                .filter(|p| !p.is_empty())
        })
        .as_deref()
}

/// Aborts the process if `point` is the armed fail point.
pub fn hit(point: &str) {
    if armed() == Some(point) {
        eprintln!("failpoint {point}: aborting");
        std::process::abort();
    }
}
