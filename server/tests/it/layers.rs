//! The isolation engine is a leaf: `src/tenancy` uses nothing of the crate
//! but the settings, the errors, the entity definitions, the LISTEN helper
//! and the observer it reports its transactions to (`observe`, itself a
//! foundation that uses nothing but the settings), and `seal` (the
//! deployment's `secret_key` sealer, a foundation too: the data keys open
//! the values it sealed before tenants had keys) — no catalog, billing,
//! events, plans or any other service. The services live in
//! `src/runtime.rs`, beside it.

use std::path::Path;

/// What `src/tenancy` may use of the rest of the crate.
const ALLOWED: &[&str] = &[
    "tenancy", "error", "config", "entities", "listen", "observe", "seal", "Error", "Result",
];

/// The crate modules a line of code names (`crate::x`), comments left out.
fn named_modules(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or_default();
    code.match_indices("crate::")
        .map(|(at, m)| {
            code[at + m.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn the_isolation_engine_uses_nothing_but_settings_errors_and_entities() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src");
    let mut files = vec![root.join("tenancy.rs")];
    crate::hand_filters::rust_files(&root.join("tenancy"), &mut files);
    assert!(files.len() > 10, "the engine's files are found: {files:?}");
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("file");
        for (n, line) in text.lines().enumerate() {
            for module in named_modules(line) {
                if !ALLOWED.contains(&module.as_str()) {
                    found.push(format!("{}:{}: crate::{module}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "src/tenancy reaches outside itself: {found:#?}"
    );
}

#[test]
fn the_scan_sees_a_use_and_a_path_but_not_a_comment() {
    assert_eq!(named_modules("use crate::billing::accounts;"), ["billing"]);
    assert_eq!(
        named_modules("let x = crate::events::Bus::default(); // crate::plans"),
        ["events"]
    );
    assert!(named_modules("/// see `crate::plans::overrides`").is_empty());
}
