//! The text check behind "application code never filters or stamps a tenant
//! column": every Rust file outside the isolation engine (`src/tenancy`) and
//! the entity definitions is read, and any line that filters or stamps a
//! column named `tenant` or `tenant_id` — through a SeaORM column, an active
//! model field or raw SQL — is an offence. There are none: tenant-owned
//! rows are read through `TenantDb` / `TenantRecords`, which scope and stamp
//! them, and records the platform writes about a tenant are stamped by the
//! platform path (`CatalogScope::stamp_about`).

use std::path::{Path, PathBuf};

/// What a line does to a tenant column, if anything.
fn offence(line: &str) -> Option<&'static str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return None;
    }
    for column in ["Column::TenantId", "Column::Tenant"] {
        let mut rest = code;
        while let Some(at) = rest.find(column) {
            let after = &rest[at + column.len()..];
            if !after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                return Some("names a tenant column in a query");
            }
            rest = after;
        }
    }
    for stamp in ["tenant: Set(", "tenant_id: Set("] {
        if code.contains(stamp) {
            return Some("stamps a tenant column");
        }
    }
    for sql in [
        "tenant = $",
        "tenant = ?",
        "tenant_id = $",
        "tenant_id = ?",
        "tenant IN (",
        "tenant_id IN (",
    ] {
        if code.contains(sql) {
            return Some("filters a tenant column in SQL");
        }
    }
    None
}

/// Every `.rs` file under `dir`.
pub(crate) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_code_outside_the_isolation_engine_filters_or_stamps_a_tenant_column() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["src", "app/src", "server/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut offenders = std::collections::BTreeMap::<String, Vec<String>>::new();
    for path in files {
        let name = path
            .strip_prefix(&root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if name.starts_with("src/tenancy") || name.starts_with("src/entities") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("file");
        for (n, line) in text.lines().enumerate() {
            if let Some(what) = offence(line) {
                offenders.entry(name.clone()).or_default().push(format!(
                    "{}: {what}: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "tenant columns handled by hand outside src/tenancy: {offenders:#?}"
    );
}

#[test]
fn the_scan_recognises_each_way_of_naming_a_tenant_column() {
    for line in [
        ".filter(invoice::Column::Tenant.eq(id))",
        "OnConflict::columns([work_due::Column::Tenant, work_due::Column::Queue])",
        ".filter(project::Column::TenantId.eq(id))",
        "tenant: Set(tenant.uuid()),",
        "tenant_id: Set(id),",
        "\"SELECT * FROM invoices WHERE tenant = $1\"",
        "\"DELETE FROM users WHERE tenant_id = ?\"",
    ] {
        assert!(offence(line).is_some(), "{line}");
    }
    for line in [
        "// .filter(invoice::Column::Tenant.eq(id))",
        ".filter(tenant::Column::TenantSlug.eq(slug))",
        "let tenant = ctx.id();",
        ".filter(row::Column::Status.eq(PENDING))",
    ] {
        assert!(offence(line).is_none(), "{line}");
    }
}
