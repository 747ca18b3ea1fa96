//! The direction of `src/`: every top-level module may use only the modules
//! listed before it in [`LAYERS`], so there is no import cycle between them
//! and the isolation core depends on none of the services or domains. The
//! test reads the sources, so a new `use crate::…` that points upwards fails
//! it, naming the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Low to high. A module may use those before it, never those after.
const LAYERS: &[&str] = &[
    // Foundations: no tenant, no database.
    "error",
    "config",
    "entities",
    "retry",
    "listen",
    "redis",
    "authz",
    "seal",
    "outbound",
    // Metrics and the cost book: fed by every layer above, using none.
    "observe",
    // The isolation core: the wall, the engine, placements, moves, the fleet.
    "tenancy",
    // Services the runtime holds beside the engine.
    "cache",
    "ratelimit",
    "storage",
    "session",
    "audit",
    // Background work and messaging.
    "jobs",
    "mail",
    "events",
    // The directory and the commercial catalog, and their in-memory snapshot.
    "catalog",
    "plans",
    "flags",
    "policy",
    // Domains.
    "billing",
    "domains",
    "tls",
    "identity",
    "branding",
    "product",
    "exports",
    // What spans the domains: tenant lifecycle, the record loader and the
    // services wired together, the platform's periodic work.
    "lifecycle",
    "runtime",
    "platform",
];

/// The top-level modules each file of `module` names through `crate::`.
fn uses_of(module: &str, source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .map(strip_comment)
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                found.push(first_ident(item.trim()));
            }
        } else {
            found.push(first_ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != module);
    found
        .iter()
        .map(|m| reexported_from(m).to_owned())
        .collect()
}

/// The module a name `lib.rs` re-exports at the crate root comes from.
fn reexported_from(name: &str) -> &str {
    match name {
        "Error" | "FieldError" | "Result" => "error",
        "Settings" => "config",
        "Engine" => "tenancy",
        other => other,
    }
}

fn first_ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The line without its `//` comment (a `//` inside a string literal, as in
/// a URL, is kept).
fn strip_comment(line: &str) -> &str {
    let mut quotes = 0;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => quotes += 1,
            b'/' if quotes % 2 == 0 && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

fn sources_of(root: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = vec![root.join(format!("{module}.rs"))];
    let mut dirs = vec![root.join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.retain(|f| f.exists());
    files
}

/// Every use that points up or sideways to a later module: (file, module).
fn violations(root: &Path) -> Vec<(String, String)> {
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut found = Vec::new();
    for (i, module) in LAYERS.iter().enumerate() {
        for file in sources_of(root, module) {
            let source = std::fs::read_to_string(&file).expect("readable source");
            for used in uses_of(module, &source) {
                if rank.get(used.as_str()).is_none_or(|r| *r > i) {
                    let shown = file
                        .strip_prefix(root)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    found.push((shown, used));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_top_level_module_is_placed_in_a_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut unplaced = Vec::new();
    for entry in std::fs::read_dir(&root).expect("src/").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if !matches!(module, "lib" | "layering") && !LAYERS.contains(&module) {
            unplaced.push(module.to_owned());
        }
    }
    assert!(unplaced.is_empty(), "add these to LAYERS: {unplaced:?}");
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&root);
    assert!(
        found.is_empty(),
        "uses that point up the layers (file, module used): {found:#?}"
    );
}

#[test]
fn an_upward_use_is_seen_and_comments_are_not() {
    let source = "use crate::error::Result;\n\
                  // crate::platform in a comment\n\
                  let url = \"http://x\"; use crate::{billing::x, tenancy};\n\
                  /// see `crate::runtime`\n";
    assert_eq!(uses_of("tenancy", source), vec!["error", "billing"]);
}
