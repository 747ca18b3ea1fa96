//! Restore and import (`lifecycle::restore`): an export restored as a new
//! tenant on another placement exports again to the same data; an archive
//! that was tampered with or comes from another platform is refused before
//! anything is written; a restore replaces a tenant's data in place (its
//! people keep their passwords); an import's dry run names every refused
//! row, and an import with any refused row writes nothing.

use crate::harness::TestApp;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use tenantry::events::{endpoints, Owner};
use tenantry::lifecycle::restore::{self, Import, NewTarget};
use tenantry::product::projects;
use tenantry::tenancy::{Engine, TenantCtx};

crate::on_both_backends!(
    an_export_restores_as_a_new_tenant_and_in_place,
    imports_are_checked_row_by_row_before_anything_is_written,
    the_console_restores_and_imports_for_superadmins_only,
);

async fn add_project(ctx: &TenantCtx, name: &str) {
    let db = ctx.db().await.expect("db");
    projects::create(ctx, &db, name).await.expect("project");
    db.commit().await.expect("commit");
}

async fn project_names(ctx: &TenantCtx) -> Vec<String> {
    let db = ctx.read().await.expect("db");
    let mut names: Vec<String> = projects::list(&db)
        .await
        .expect("projects")
        .into_iter()
        .map(|p| p.name)
        .collect();
    db.commit().await.expect("commit");
    names.sort();
    names
}

/// Exports the tenant and waits for the archive.
pub(crate) async fn archive_of(engine: &Engine, ctx: &TenantCtx) -> Vec<u8> {
    let export = tenantry::exports::request(engine, ctx.tenant(), "test")
        .await
        .expect("export");
    for _ in 0..400 {
        let list = tenantry::exports::list(engine, ctx.tenant())
            .await
            .expect("exports");
        if list.iter().any(|e| e.id == export.id && e.state == "done") {
            let (tar, _) = tenantry::exports::archive(engine, ctx.tenant(), export.id)
                .await
                .expect("archive");
            return tar;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the export did not finish");
}

/// Waits for the tenant's restore to end; its final view.
pub(crate) async fn restored(engine: &Engine, slug: &str) -> restore::RestoreView {
    for _ in 0..600 {
        let status = restore::status_by_slug(engine, slug)
            .await
            .expect("status")
            .expect("a restore");
        if status.state == "done" {
            return status;
        }
        if status.state == "failed" {
            let ctx = tenantry::catalog::resolve::by_slug_uncached(engine, slug).await;
            if let Ok(Some(tenantry::tenancy::RequestScope::Tenant(ctx))) = ctx {
                let jobs = tenantry::jobs::list(&ctx, 5).await.expect("jobs");
                eprintln!("the restore failed: {jobs:#?}");
            }
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the restore did not finish");
}

/// Each restored table's rows and each file, as the archive holds them,
/// without the tenant's id (the one thing that differs between tenants).
pub(crate) fn data_of(archive: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut tar = tar::Archive::new(archive);
    for entry in tar.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut body).expect("read");
        if let Some(table) = name
            .strip_prefix("tables/")
            .and_then(|n| n.strip_suffix(".jsonl"))
        {
            if restore::KEPT.contains(&table) || restore::NOT_RESTORED.contains(&table) {
                continue;
            }
            let mut rows: Vec<String> = String::from_utf8(body)
                .expect("utf-8")
                .lines()
                .map(|line| {
                    let mut row: Json = serde_json::from_str(line).expect("json");
                    row.as_object_mut().expect("object").remove("tenant_id");
                    row.to_string()
                })
                .collect();
            rows.sort();
            out.insert(name, rows);
        } else if name.starts_with("files/") {
            out.insert(name, vec![hex::encode(body)]);
        }
    }
    out
}

/// The archive with `file` replaced by `body`.
fn with_file(archive: &[u8], file: &str, body: &[u8]) -> Vec<u8> {
    let mut out = tar::Builder::new(Vec::new());
    let mut tar = tar::Archive::new(archive);
    for entry in tar.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).expect("read");
        if name == file {
            content = body.to_vec();
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        out.append_data(&mut header, &name, content.as_slice())
            .expect("append");
    }
    out.into_inner().expect("tar")
}

fn refusal(result: tenantry::Result<restore::RestoreView>) -> String {
    match result {
        Err(tenantry::Error::Invalid(f)) => format!("{}: {}", f.field, f.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn an_export_restores_as_a_new_tenant_and_in_place(app: TestApp) {
    let _jobs = app.run_jobs();
    let alpha = app.tenant("alpha").await;
    add_project(&alpha, "Roadmap").await;
    add_project(&alpha, "Hiring").await;
    let hook = endpoints::create(
        &app.engine,
        Owner::of(&alpha),
        "https://hooks.example/in",
        "",
        "*",
        "test",
    )
    .await
    .expect("endpoint");
    tenantry::branding::assets::upload(
        &alpha,
        tenantry::storage::Asset::Logo,
        &crate::branding_assets::png(16, 16),
        "test",
    )
    .await
    .expect("logo");
    let archive = archive_of(&app.engine, &alpha).await;
    let tenants_before = tenantry::catalog::tenants::list(&app.engine, "", None)
        .await
        .expect("tenants")
        .len();

    // Refused before anything is written: a changed table, an extra file,
    // an archive signed by another platform's key.
    let manifest_rows = {
        let mut tar = tar::Archive::new(archive.as_slice());
        let mut found = Vec::new();
        for entry in tar.entries().expect("tar") {
            let mut entry = entry.expect("entry");
            if entry.path().expect("path").display().to_string() == "tables/projects.jsonl" {
                std::io::Read::read_to_end(&mut entry, &mut found).expect("read");
            }
        }
        found
    };
    let mut forged = manifest_rows.clone();
    forged.extend_from_slice(b"{\"name\":\"injected\"}\n");
    let tampered = with_file(&archive, "tables/projects.jsonl", &forged);
    let target = |slug: &str| NewTarget {
        slug: slug.into(),
        name: "Restored".into(),
        placement: if app.is_postgres() {
            "schema".into()
        } else {
            String::new()
        },
        owner_email: "owner@restored.test".into(),
    };
    let why =
        refusal(restore::restore_as_new(&app.engine, &tampered, target("tampered"), "test").await);
    assert!(
        why.contains("tables/projects.jsonl: its checksum does not match"),
        "{why}"
    );
    let other_platform = app
        .with_settings(&[(
            "encryption.key",
            "3333333333333333333333333333333333333333333333333333333333333333",
        )])
        .await;
    let why = refusal(
        restore::restore_as_new(&other_platform, &archive, target("foreign"), "test").await,
    );
    assert!(why.contains("was not exported by this platform"), "{why}");
    let unsigned = with_file(&archive, "manifest.sig", b"local:0000:00");
    let why =
        refusal(restore::restore_as_new(&app.engine, &unsigned, target("unsigned"), "test").await);
    assert!(why.contains("was not exported by this platform"), "{why}");
    assert_eq!(
        tenantry::catalog::tenants::list(&app.engine, "", None)
            .await
            .expect("tenants")
            .len(),
        tenants_before,
        "a refused archive creates no tenant"
    );

    // As a new tenant, on another placement on PostgreSQL.
    let started = restore::restore_as_new(&app.engine, &archive, target("restored"), "test")
        .await
        .expect("restore");
    assert_eq!(started.state, "queued");
    let done = restored(&app.engine, "restored").await;
    assert_eq!(done.state, "done", "{done:?}");
    assert_eq!((done.rows_done, done.files_done), (done.rows_total, 1));
    let copy = app.ctx("restored").await;
    assert_eq!(copy.tenant().state, tenantry::tenancy::TenantState::Active);
    if app.is_postgres() {
        assert_eq!(
            copy.tenant().placement,
            tenantry::tenancy::Placement::Schema
        );
    }
    assert_eq!(project_names(&copy).await, ["Hiring", "Roadmap"]);
    // Its own key seals what came back: a new signing secret (archives hold
    // none), its logo as it was.
    let listed = endpoints::list(&app.engine, Owner::of(&copy))
        .await
        .expect("endpoints");
    assert_eq!(listed.len(), 1);
    assert!(!hook
        .secret
        .starts_with(listed[0].secret_hint.trim_end_matches('…')));
    // Exported again: the same data.
    let again = archive_of(&app.engine, &copy).await;
    assert_eq!(data_of(&again), data_of(&archive));

    // In place: alpha changed since its export, then restored to it.
    add_project(&alpha, "Added later").await;
    let why =
        refusal(restore::restore_replacing(&app.engine, "alpha", &archive, "nope", "test").await);
    assert!(why.starts_with("confirm:"), "{why}");
    restore::restore_replacing(&app.engine, "alpha", &archive, "alpha", "test")
        .await
        .expect("restore in place");
    assert_eq!(restored(&app.engine, "alpha").await.state, "done");
    let alpha = app.ctx("alpha").await;
    assert_eq!(project_names(&alpha).await, ["Hiring", "Roadmap"]);
    // Its people keep their passwords, its endpoint its secret.
    let mut owner = app.owner_client("alpha").await;
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        axum::http::StatusCode::OK
    );
    let listed = endpoints::list(&app.engine, Owner::of(&alpha))
        .await
        .expect("endpoints");
    assert!(hook
        .secret
        .starts_with(listed[0].secret_hint.trim_end_matches('…')));
}

fn import_of(files: &[(&str, &str)]) -> Import {
    Import {
        name: "legacy-app".into(),
        files: files
            .iter()
            .map(|(name, body)| ((*name).to_owned(), body.as_bytes().to_vec()))
            .collect(),
    }
}

const USERS: &str = r#"{"id":"0190a4c4-5b3e-7000-8000-000000000001","email":"ann@legacy.test","display_name":"Ann","created_at":"2024-03-01T09:00:00Z"}
"#;
const MEMBERSHIPS: &str =
    "user_id,role,created_at\n0190a4c4-5b3e-7000-8000-000000000001,owner,2024-03-01T09:00:00Z\n";

async fn imports_are_checked_row_by_row_before_anything_is_written(app: TestApp) {
    let _jobs = app.run_jobs();
    let legacy = app.tenant("legacy").await;
    add_project(&legacy, "Before the import").await;

    let bad = import_of(&[
        ("users.jsonl", USERS),
        ("memberships.csv", MEMBERSHIPS),
        (
            "projects.csv",
            "id,name,created_at,updated_at\n\
             0190a4c4-5b3e-7000-8000-0000000000a1,Billing,2024-03-02T10:00:00Z,2024-03-02T10:00:00Z\n\
             not-a-uuid,,2024-03-02,\n",
        ),
        ("widgets.csv", "id\n1\n"),
        ("api_keys.jsonl", "{}\n"),
    ]);
    let report = restore::dry_run(&app.engine, legacy.tenant(), &bad)
        .await
        .expect("dry run");
    assert_eq!(
        report.refused,
        [
            "projects.csv line 3: id: must be a UUID, not \"not-a-uuid\"",
            "projects.csv line 3: name: is required",
            "projects.csv line 3: created_at: must be a time like 2026-01-31T12:00:00Z, not \"2024-03-02\"",
            "projects.csv line 3: updated_at: is required",
            "widgets.csv: the tenant plane has no table widgets",
            "api_keys.jsonl: api_keys cannot be imported (platform state or credentials)",
        ]
    );
    let projects_report = report
        .tables
        .iter()
        .find(|t| t.table == "projects")
        .expect("projects");
    assert_eq!((projects_report.rows, projects_report.refused), (2, 1));
    let why = refusal(restore::import(&app.engine, "legacy", &bad, "legacy", "test").await);
    assert!(
        why.starts_with("import: 6 problems, the first: projects.csv line 3"),
        "{why}"
    );
    assert_eq!(
        project_names(&legacy).await,
        ["Before the import"],
        "nothing written"
    );

    let good = import_of(&[
        ("users.jsonl", USERS),
        ("memberships.csv", MEMBERSHIPS),
        (
            "projects.csv",
            "id,name,created_at,updated_at\n\
             0190a4c4-5b3e-7000-8000-0000000000a1,Billing,2024-03-02T10:00:00Z,2024-03-02T10:00:00Z\n\
             0190a4c4-5b3e-7000-8000-0000000000a2,\"Support, tier 2\",2024-03-03T10:00:00Z,2024-03-03T10:00:00Z\n",
        ),
    ]);
    let report = restore::dry_run(&app.engine, legacy.tenant(), &good)
        .await
        .expect("dry run");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.rows, 4);
    let why = refusal(restore::import(&app.engine, "legacy", &good, "", "test").await);
    assert!(why.starts_with("confirm:"), "{why}");
    restore::import(&app.engine, "legacy", &good, "legacy", "test")
        .await
        .expect("import");
    let done = restored(&app.engine, "legacy").await;
    assert_eq!(
        (done.state.as_str(), done.rows_done),
        ("done", 4),
        "{done:?}"
    );
    let legacy = app.ctx("legacy").await;
    assert_eq!(project_names(&legacy).await, ["Billing", "Support, tier 2"]);
    // The imported person exists, with no usable password until a reset.
    let db = legacy.read().await.expect("db");
    let members = tenantry::identity::members::list(&db)
        .await
        .expect("members");
    db.commit().await.expect("commit");
    assert!(members.iter().any(|m| m.email == "ann@legacy.test"));
}

/// A multipart body of text fields and text files.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &str)]) -> (String, String) {
    let boundary = "tenantry-test-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    for (name, file, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn the_console_restores_and_imports_for_superadmins_only(app: TestApp) {
    let _jobs = app.run_jobs();
    let legacy = app.tenant("legacy").await;
    add_project(&legacy, "Kept").await;
    let (kind, dry) = multipart(
        &[("dry_run", "1")],
        &[
            ("files", "users.jsonl", USERS),
            ("files", "memberships.csv", MEMBERSHIPS),
            (
                "files",
                "projects.csv",
                "id,name,created_at,updated_at\nx,,,\n",
            ),
        ],
    );
    // Not on a tenant's host, not without a superadmin's session.
    let mut owner = app.owner_client("legacy").await;
    let res = owner
        .raw("POST", "/console/tenants/legacy/import", &kind, &dry)
        .await;
    assert_eq!(
        res.status,
        axum::http::StatusCode::NOT_FOUND,
        "{}",
        res.text
    );
    let mut anonymous = app.client(&app.settings.console_host());
    let res = anonymous
        .raw("POST", "/console/tenants/legacy/import", &kind, &dry)
        .await;
    assert_eq!(
        res.status,
        axum::http::StatusCode::UNAUTHORIZED,
        "{}",
        res.text
    );
    let mut admin = app.superadmin().await;
    let res = admin
        .raw("POST", "/console/tenants/legacy/import", &kind, &dry)
        .await;
    assert_eq!(res.status, axum::http::StatusCode::OK, "{}", res.text);
    let report = res.json();
    assert_eq!(
        report["refused"].as_array().expect("refused").len(),
        4,
        "{report}"
    );
    assert_eq!(
        project_names(&legacy).await,
        ["Kept"],
        "a dry run writes nothing"
    );

    // A restore of one of the tenant's own exports, in place.
    archive_of(&app.engine, &legacy).await;
    let exports = tenantry::exports::list(&app.engine, legacy.tenant())
        .await
        .expect("exports");
    add_project(&legacy, "After the export").await;
    let id = exports[0].id.to_string();
    let (kind, form) = multipart(
        &[
            ("export_id", &id),
            ("mode", "replace"),
            ("confirm", "legacy"),
        ],
        &[],
    );
    let res = admin
        .raw("POST", "/console/tenants/legacy/restore", &kind, &form)
        .await;
    assert_eq!(res.status, axum::http::StatusCode::OK, "{}", res.text);
    assert_eq!(restored(&app.engine, "legacy").await.state, "done");
    assert_eq!(project_names(&app.ctx("legacy").await).await, ["Kept"]);
    // Refused input is named, and writes nothing.
    let (kind, form) = multipart(
        &[("export_id", &id), ("mode", "replace"), ("confirm", "")],
        &[],
    );
    let res = admin
        .raw("POST", "/console/tenants/legacy/restore", &kind, &form)
        .await;
    assert_eq!(
        res.status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text
    );
    assert!(res.text.contains("confirm"), "{}", res.text);
}
