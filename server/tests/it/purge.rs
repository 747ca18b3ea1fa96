//! Verifiable deletion: after a purge, an independent scan of every store —
//! every table of every schema (as the superuser on Postgres, past RLS),
//! every database, the data directory, the sessions, the tenant map — finds
//! nothing of the tenant, the receipt says the same, and another tenant is
//! untouched.

use crate::harness::{pg_url, TestApp};
use crate::on_both_backends;
use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use tenantry::catalog::tenants;
use tenantry::events::{dispatch, endpoints, outbox, Owner};
use tenantry::product::projects;

on_both_backends!(a_purge_leaves_nothing_of_the_tenant_in_any_store_and_writes_a_receipt,);

/// Rows naming `tenant` in any table with a `tenant_id` or `tenant` column,
/// read directly from the database files, apart from the platform's own
/// records about the purge (its audit entry and the `tenant.purged` event).
async fn rows_naming(app: &TestApp, tenant: uuid::Uuid) -> Vec<String> {
    let mut found = Vec::new();
    let databases: Vec<(sea_orm::DatabaseConnection, DbBackend)> = match &app.pg_database {
        Some(name) => {
            let admin = Database::connect(pg_url("postgres", name))
                .await
                .expect("admin");
            vec![(admin, DbBackend::Postgres)]
        }
        None => {
            let url = app.settings.runtime_url();
            vec![(
                Database::connect(url).await.expect("catalog"),
                DbBackend::Sqlite,
            )]
        }
    };
    for (db, backend) in databases {
        let columns_sql = match backend {
            DbBackend::Postgres => {
                "SELECT table_schema || '.' || table_name AS t, column_name AS c \
                FROM information_schema.columns WHERE column_name IN ('tenant_id', 'tenant') \
                AND table_schema NOT IN ('pg_catalog', 'information_schema')"
            }
            _ => {
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
                WHERE m.type = 'table' AND p.name IN ('tenant_id', 'tenant')"
            }
        };
        let columns = db
            .query_all_raw(Statement::from_string(backend, columns_sql))
            .await
            .expect("columns");
        for row in columns {
            let table: String = row.try_get("", "t").expect("t");
            let column: String = row.try_get("", "c").expect("c");
            let mut sql = match backend {
                DbBackend::Postgres => {
                    format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{tenant}'::uuid")
                }
                _ => format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{tenant}'"),
            };
            // The platform audit (pseudonymised) and the invoices kept for
            // financial retention stay on purpose; the test checks both.
            if table.ends_with("platform_audit") || table.ends_with("retained_invoices") {
                continue;
            }
            if table.ends_with("lifecycle_events") {
                sql.push_str(" AND kind <> 'tenant.purged'");
            }
            let n: i64 = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .expect("count")
                .expect("row")
                .try_get("", "n")
                .expect("n");
            if n > 0 {
                found.push(format!("{table}.{column}: {n}"));
            }
        }
        let sessions = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM sessions WHERE data LIKE '%{tenant}%'"),
            ))
            .await
            .expect("sessions")
            .expect("row")
            .try_get::<i64>("", "n")
            .expect("n");
        if sessions > 0 {
            found.push(format!("sessions: {sessions}"));
        }
        if backend == DbBackend::Postgres {
            let hex = tenant.simple().to_string();
            let places = db
                .query_one_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT (SELECT COUNT(*) FROM pg_namespace WHERE nspname LIKE '%{hex}%') \
                         + (SELECT COUNT(*) FROM pg_database WHERE datname LIKE '%{hex}%') AS n"
                    ),
                ))
                .await
                .expect("places")
                .expect("row")
                .try_get::<i64>("", "n")
                .expect("n");
            if places > 0 {
                found.push(format!("schemas or databases: {places}"));
            }
        }
    }
    // Files: nothing under the data directory is named after the tenant.
    let id = tenant.to_string();
    let hex = tenant.simple().to_string();
    for entry in walk(&app.settings.data_dir) {
        let name = entry.display().to_string();
        if name.contains(&id) || name.contains(&hex) {
            found.push(format!("file {name}"));
        }
    }
    found
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            }
            out.push(path);
        }
    }
    out
}

async fn bravo_snapshot(app: &TestApp) -> String {
    let ctx = app.ctx("bravo").await;
    let db = ctx.read().await.expect("db");
    let list = projects::list(&db).await.expect("projects");
    db.commit().await.expect("commit");
    let hooks = endpoints::list(&app.engine, Owner::of(&ctx))
        .await
        .expect("hooks");
    let domains = tenantry::domains::list(&app.engine, ctx.tenant())
        .await
        .expect("domains");
    format!("{list:?}{hooks:?}{domains:?}")
}

async fn a_purge_leaves_nothing_of_the_tenant_in_any_store_and_writes_a_receipt(app: TestApp) {
    let mut everything = Vec::new();
    for slug in ["alpha", "bravo"] {
        let ctx = app.tenant(slug).await;
        let db = ctx.db().await.expect("db");
        projects::create(&ctx, &db, &format!("{slug} plans"))
            .await
            .expect("project");
        db.commit().await.expect("commit");
        tenantry::domains::add(
            &app.engine,
            ctx.tenant(),
            &format!("app.{slug}-corp.test"),
            "test",
        )
        .await
        .expect("domain");
        endpoints::create(
            &app.engine,
            Owner::of(&ctx),
            "https://hooks.example/x",
            "",
            "*",
            "test",
        )
        .await
        .expect("endpoint");
        everything.push(ctx);
    }
    dispatch::dispatch_pending(&app.engine)
        .await
        .expect("dispatch");
    // A session and a map entry for alpha.
    let mut owner = app.owner_client("alpha").await;
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);
    let alpha = everything[0].id().uuid();
    // Platform audit entries that name people: alpha's owner, and bravo's.
    for (slug, ctx) in [("alpha", &everything[0]), ("bravo", &everything[1])] {
        tenantry::audit::record(
            &app.engine,
            &format!("member:owner@{slug}.test"),
            "test.noted",
            Some(ctx.id()),
            &format!("owner@{slug}.test asked for visitor@{slug}-guest.test"),
        )
        .await
        .expect("audit");
    }
    // A final invoice of alpha's, which financial retention keeps.
    let last_month = tenantry::billing::period::Period::containing(chrono::Utc::now()).previous();
    let invoice = tenantry::billing::invoices::finalize(&app.engine, &everything[0], last_month)
        .await
        .expect("invoice");
    let before_bravo = bravo_snapshot(&app).await;
    assert!(
        !rows_naming(&app, alpha).await.is_empty(),
        "the scan finds a live tenant"
    );

    // Only a deleted tenant, and only with the slug typed.
    let err = tenantry::lifecycle::purge_now(&app.engine, "alpha", "alpha", "test")
        .await
        .expect_err("active");
    assert!(err.to_string().contains("delete it first"));
    tenants::delete(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("delete");
    let err = tenantry::lifecycle::purge_now(&app.engine, "alpha", "alpah", "test")
        .await
        .expect_err("typo");
    assert!(err.to_string().contains("confirm"));

    let plane = crate::wall::plane_tables_of(&everything[0]).await;
    let receipt = tenantry::lifecycle::purge_now(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("purge");
    assert!(receipt.complete(), "{receipt:?}");
    let mut counted: Vec<&str> = receipt
        .stores
        .iter()
        .filter_map(|s| s.store.strip_prefix("tenant plane: "))
        .collect();
    counted.sort();
    assert_eq!(
        counted, plane,
        "the receipt covers every table the database had"
    );
    let held = |store: &str| {
        receipt
            .stores
            .iter()
            .find(|s| s.store == store)
            .unwrap_or_else(|| panic!("receipt lacks {store}: {receipt:?}"))
            .before
    };
    assert_eq!(held("tenant plane: projects"), 1);
    assert_eq!(held("tenant plane: users"), 1);
    assert!(held("catalog: sessions") >= 1);
    assert_eq!(held("tenant plane: tenant_domains"), 1);
    assert_eq!(held("tenant plane: webhook_endpoints"), 1);
    assert!(held("tenant plane: webhook_deliveries") >= 1);
    assert!(held("catalog: lifecycle_events") >= 3);
    assert_eq!(held("tenant plane: invoices"), 1);
    assert_eq!(held("tenant plane: billing_accounts"), 1);
    // The one deliberate exception: its invoice, kept for retention, named
    // as such in the receipt, and gone once the retention ends.
    let retained = receipt
        .stores
        .iter()
        .find(|s| s.store.starts_with("retained: invoices, until "))
        .unwrap_or_else(|| panic!("no retention line: {receipt:?}"));
    assert_eq!(retained.after, 1, "{receipt:?}");
    let alpha_id = everything[0].id();
    assert_eq!(
        tenantry::billing::invoices::retained(&app.engine, alpha_id)
            .await
            .expect("retained"),
        1
    );
    let days = i64::from(app.engine.settings().invoice_retention_days);
    let expired = tenantry::billing::invoices::expire_retained(
        &app.engine,
        chrono::Utc::now() + chrono::Duration::days(days - 1),
    )
    .await
    .expect("not yet");
    assert_eq!(expired, 0, "kept for the whole retention");
    let expired = tenantry::billing::invoices::expire_retained(
        &app.engine,
        chrono::Utc::now() + chrono::Duration::days(days + 1),
    )
    .await
    .expect("expired");
    assert!(expired >= 1, "{} kept past its retention", invoice.number);
    assert_eq!(
        tenantry::billing::invoices::retained(&app.engine, alpha_id)
            .await
            .expect("retained"),
        0
    );

    let left = rows_naming(&app, alpha).await;
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!app.engine.tenant_cache().holds(alpha));
    assert_eq!(
        app.client("alpha.localhost").get("/login").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        StatusCode::NOT_FOUND
    );

    // The receipt is in the platform audit, and the purge is an event.
    let audit = tenantry::audit::recent(&app.engine, 5)
        .await
        .expect("audit");
    let entry = audit
        .iter()
        .find(|e| e.action == "tenant.purged")
        .expect("receipt");
    let logged: serde_json::Value = serde_json::from_str(&entry.detail).expect("receipt JSON");
    assert_eq!(logged["slug"], "alpha");
    assert!(logged["stores"].as_array().expect("stores").len() > 10);
    let events = outbox::recent(&app.engine, Some(everything[0].id()), 10)
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind.as_str(), "tenant.purged");

    // The platform keeps what happened to alpha, not who its people were.
    let audit = tenantry::audit::recent(&app.engine, 500)
        .await
        .expect("audit");
    let alpha_entry = audit
        .iter()
        .find(|e| e.action == "test.noted" && e.tenant == Some(alpha))
        .expect("alpha's entry is kept");
    assert!(
        alpha_entry.actor.starts_with("member:person-"),
        "{alpha_entry:?}"
    );
    let pseudonym = alpha_entry.actor.trim_start_matches("member:");
    assert!(
        alpha_entry
            .detail
            .starts_with(&format!("{pseudonym} asked for person-")),
        "the same person, the same pseudonym: {alpha_entry:?}"
    );
    for e in audit.iter().filter(|e| e.tenant == Some(alpha)) {
        let text = format!("{} {}", e.actor, e.detail);
        assert!(
            !text.contains("@alpha.test") && !text.contains("alpha-guest"),
            "personal data of the purged tenant left in {e:?}"
        );
    }
    let bravo_id = everything[1].id().uuid();
    let bravo_entry = audit
        .iter()
        .find(|e| e.action == "test.noted" && e.tenant == Some(bravo_id))
        .expect("bravo's entry");
    assert_eq!(bravo_entry.actor, "member:owner@bravo.test");
    assert_eq!(
        bravo_entry.detail,
        "owner@bravo.test asked for visitor@bravo-guest.test"
    );

    assert_eq!(bravo_snapshot(&app).await, before_bravo, "bravo changed");
    let mut bravo = app.owner_client("bravo").await;
    assert_eq!(bravo.get("/api/v1/projects").await.status, StatusCode::OK);
}
