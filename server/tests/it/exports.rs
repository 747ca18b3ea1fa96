//! Tenant data exports: produced in the background with progress, a tar of
//! JSON Lines per table whose manifest matches its contents, only the
//! tenant's own rows, downloadable only by that tenant's admins, expiring.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use tenantry::identity::members::{self, NewMember};
use tenantry::product::{projects, tasks};
use tenantry_app::features::exports::api::{ListExports, RequestExport};

on_both_backends!(
    an_export_holds_every_table_of_the_tenant_and_its_manifest_matches,
    exports_are_for_the_tenants_admins_only_and_expire,
);

async fn seed(app: &TestApp, slug: &str, projects_n: usize) {
    let ctx = app.tenant(slug).await;
    let db = ctx.db().await.expect("db");
    for i in 0..projects_n {
        let p = projects::create(&ctx, &db, &format!("{slug} project {i}"))
            .await
            .expect("project");
        tasks::create(&db, p.id, &format!("{slug} task {i}"))
            .await
            .expect("task");
    }
    let member = NewMember::parse(&format!("m@{slug}.test"), "M", PASSWORD, "member").expect("m");
    members::create(&db, member).await.expect("member");
    db.commit().await.expect("commit");
}

/// Requests an export and waits until it is produced.
async fn export(client: &mut Client, slug: &str) -> Value {
    let res = client.server_fn::<RequestExport>(&[("slug", slug)]).await;
    assert_eq!(res.status, StatusCode::OK, "request export: {}", res.text);
    let id = res.json()["id"].clone();
    for _ in 0..200 {
        let list = client
            .server_fn::<ListExports>(&[("slug", slug)])
            .await
            .json();
        let this = list
            .as_array()
            .expect("list")
            .iter()
            .find(|e| e["id"] == id)
            .expect("listed")
            .clone();
        match this["state"].as_str() {
            Some("done") => return this,
            Some("failed") => panic!("export failed: {this}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    panic!("export never finished");
}

fn untar(bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(bytes);
    let mut files = HashMap::new();
    for entry in archive.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).expect("read");
        files.insert(name, body);
    }
    files
}

async fn an_export_holds_every_table_of_the_tenant_and_its_manifest_matches(app: TestApp) {
    let _jobs = app.run_jobs();
    seed(&app, "alpha", 3).await;
    seed(&app, "bravo", 2).await;
    let mut owner = app.owner_client("alpha").await;
    let logo = crate::branding_assets::png(20, 20);
    let res = crate::branding_assets::upload(&mut owner, "logo", &logo, false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let done = export(&mut owner, "").await;
    assert_eq!(done["rows_done"], done["rows_total"]);
    let url = done["download_url"].as_str().expect("download url");
    let res = owner.get(url).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers["content-type"], "application/x-tar");
    assert!(res.headers["content-disposition"]
        .to_str()
        .expect("disposition")
        .contains("alpha-export-"));
    let bytes = res.bytes.as_slice();
    assert_eq!(
        done["sha256"].as_str(),
        Some(hex::encode(Sha256::digest(bytes)).as_str()),
        "the archive is the one the export recorded"
    );
    let files = untar(bytes);
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest");
    assert_eq!(manifest["tenant"]["slug"], "alpha");
    let tables = manifest["tables"].as_array().expect("tables");
    let names: Vec<&str> = tables
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        crate::wall::plane_tables_of(&app.ctx("alpha").await).await,
        "every tenant-plane table the database has"
    );
    let mut total = 0;
    for table in tables {
        let body = &files[table["file"].as_str().expect("file")];
        let lines = body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(table["rows"], lines, "{table}");
        assert_eq!(
            table["sha256"],
            hex::encode(Sha256::digest(body)),
            "{table}"
        );
        total += lines;
        let text = String::from_utf8_lossy(body);
        assert!(!text.contains("bravo"), "another tenant's rows: {text}");
        assert!(
            !text.contains("password_hash") && !text.contains("$argon2"),
            "credentials exported"
        );
    }
    assert_eq!(done["rows_total"], total);
    // Its records in the catalog, every table of them, its own rows only.
    let records = manifest["records"].as_array().expect("records");
    let mut names: Vec<String> = records
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = tenantry_migrations::TENANT_RECORDS
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    expected.sort();
    assert_eq!(names, expected, "every table of the tenant's records");
    for table in records {
        let body = &files[table["file"].as_str().expect("file")];
        assert_eq!(
            table["sha256"],
            hex::encode(Sha256::digest(body)),
            "{table}"
        );
        let text = String::from_utf8_lossy(body);
        assert!(!text.contains("bravo"), "another tenant's records: {text}");
        assert!(!text.contains("key_sealed"), "a sealed key exported");
    }
    let branding = String::from_utf8_lossy(&files["tables/tenant_branding.jsonl"]).into_owned();
    assert_eq!(branding.lines().count(), 1);
    assert!(branding.contains("logo.png"), "{branding}");
    // The tenant's files, with their checksums.
    let listed = manifest["files"].as_array().expect("files");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["file"], "files/branding/logo.png");
    let stored = &files["files/branding/logo.png"];
    assert_eq!(listed[0]["sha256"], hex::encode(Sha256::digest(stored)));
    assert_eq!(image::load_from_memory(stored).expect("png").width(), 20);
    let projects = String::from_utf8_lossy(&files["tables/projects.jsonl"]).into_owned();
    assert_eq!(projects.lines().count(), 3);
    assert!(projects.contains("alpha project 2"));

    // The console can request one for the tenant too, and follow it; the
    // download is on the tenant's host only.
    let mut admin = app.superadmin().await;
    let by_console = export(&mut admin, "alpha").await;
    assert!(by_console["download_url"].is_null());
}

async fn exports_are_for_the_tenants_admins_only_and_expire(app: TestApp) {
    let jobs = app.run_jobs();
    seed(&app, "alpha", 1).await;
    seed(&app, "bravo", 1).await;
    let mut owner = app.owner_client("alpha").await;
    let done = export(&mut owner, "").await;
    let url = done["download_url"].as_str().expect("url").to_owned();

    let mut member = app.owner_client_as("alpha", "m@alpha.test").await;
    assert_eq!(member.get(&url).await.status, StatusCode::FORBIDDEN);
    let res = member.server_fn::<RequestExport>(&[("slug", "")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let mut bravo = app.owner_client("bravo").await;
    let res = bravo.get(&url).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert!(!res.text.contains("alpha"));
    assert_eq!(
        app.client("alpha.localhost").get(&url).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Expired: the archive is deleted and no longer served.
    let expiring = app.with_settings(&[("export_ttl_hours", "0")]).await;
    // Produced by an instance with that setting.
    jobs.stop().await;
    let _jobs = crate::harness::run_jobs_on(&expiring);
    let ctx = app.ctx("alpha").await;
    let view = tenantry::exports::request(&expiring, ctx.tenant(), "test")
        .await
        .expect("export");
    let mut state = String::new();
    for _ in 0..200 {
        let list = tenantry::exports::list(&expiring, ctx.tenant())
            .await
            .expect("list");
        state = list
            .iter()
            .find(|e| e.id == view.id)
            .expect("listed")
            .state
            .clone();
        if state == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "done");
    assert!(
        tenantry::exports::expire_due(&expiring)
            .await
            .expect("expire")
            >= 1
    );
    let path = format!("/api/v1/exports/{}/archive", view.id);
    assert_eq!(owner.get(&path).await.status, StatusCode::NOT_FOUND);
    let list = tenantry::exports::list(&app.engine, ctx.tenant())
        .await
        .expect("list");
    assert_eq!(
        list.iter().find(|e| e.id == view.id).expect("listed").state,
        "expired"
    );
}
