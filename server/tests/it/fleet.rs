//! Fleet migrations: a new tenant-plane migration reaches the pool, the
//! templates and every schema and database tenant, in canary batches; a failing
//! tenant stops the run, is named, keeps serving on its old version, and the
//! next run resumes where this one stopped.

use crate::harness::TestApp;
use crate::placements::pg_number_in;
use axum::http::StatusCode;
use serde_json::json;
use tenantry::tenancy::{fleet, Placement};
use tenantry_migrations::rehearsal::NextRelease;

/// Whether a tenant's projects table has the new column.
async fn migrated(app: &TestApp, slug: &str) -> bool {
    let record = app.ctx(slug).await.tenant().clone();
    let catalog = app.pg_database.clone().expect("postgres");
    let (database, schema) = match record.placement {
        Placement::Schema => (catalog, record.location.clone().expect("schema")),
        Placement::Database => (record.location.clone().expect("db"), "public".into()),
        Placement::Pool => (catalog, "public".into()),
    };
    pg_number_in(
        &database,
        &format!(
            "SELECT count(*)::bigint FROM information_schema.columns
             WHERE table_schema = '{schema}' AND table_name = 'projects' AND column_name = 'archived'
               AND data_type = 'boolean'"
        ),
    )
    .await
        == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_migration_runs_in_canary_batches_stops_on_a_failure_and_resumes() {
    let app = TestApp::postgres_placed(&[Placement::Schema, Placement::Database]).await;
    let slugs: Vec<String> = (0..7).map(|i| format!("fleet{i}")).collect();
    for slug in &slugs {
        app.tenant(slug).await;
    }
    // Batches: the canary fleet0, then fleet1 and fleet2, then fleet3..fleet6.
    // fleet2 has a column in the way, so the new migration fails there for
    // real, in the second batch.
    let broken = app.ctx("fleet2").await.tenant().clone();
    let catalog = app.pg_database.clone().expect("postgres");
    let (db, qualified) = match broken.placement {
        Placement::Schema => (
            catalog.clone(),
            format!("{}.projects", broken.location.clone().expect("s")),
        ),
        _ => (broken.location.clone().expect("d"), "projects".to_owned()),
    };
    crate::harness::pg_admin_in(
        &db,
        &format!("ALTER TABLE {qualified} ADD COLUMN archived text NULL"),
    )
    .await;

    let options = fleet::FleetOptions {
        concurrency: 2,
        canary: 1,
    };
    let err = fleet::migrate_all::<NextRelease>(&app.settings, &options, &fleet::Quiet)
        .await
        .expect_err("the broken tenant stops the run");
    let message = format!("{err:?}");
    assert!(message.contains("fleet2"), "names the tenant: {message}");
    // The canary and the rest of the failing batch are migrated; the batches
    // after it are not started.
    assert!(migrated(&app, "fleet0").await && migrated(&app, "fleet1").await);
    assert!(!migrated(&app, "fleet2").await, "rolled back, whole");
    for untouched in ["fleet3", "fleet4", "fleet5", "fleet6"] {
        assert!(!migrated(&app, untouched).await, "{untouched} not reached");
    }
    let (latest, entries) = fleet::status(&app.engine).await.expect("status");
    assert_eq!(
        latest,
        tenantry::tenancy::fleet::latest_version::<tenantry_migrations::TenantMigrator>()
    );
    let failed = entries
        .iter()
        .find(|e| e.slug.as_deref() == Some("fleet2"))
        .expect("row");
    assert_eq!(failed.status, "failed");
    assert_eq!(
        failed.version.as_deref(),
        Some(latest.as_str()),
        "still on its old version"
    );
    assert!(failed
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("archived"));

    // The failed tenant keeps serving, on its old version.
    let mut owner = app.owner_client("fleet2").await;
    let made = owner
        .post_json("/api/v1/projects", json!({"name": "still here"}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);

    // Fixed, the next run resumes and reaches everyone.
    crate::harness::pg_admin_in(
        &db,
        &format!("ALTER TABLE {qualified} DROP COLUMN archived"),
    )
    .await;
    let report = fleet::migrate_all::<NextRelease>(&app.settings, &options, &fleet::Quiet)
        .await
        .expect("resumed run");
    assert_eq!(report.migrated, 5, "fleet2..fleet6");
    assert_eq!(report.current, 2, "fleet0 and fleet1 skipped");
    for slug in &slugs {
        assert!(migrated(&app, slug).await, "{slug} migrated");
    }
    // Shared units too: the pool (public) and the schema template.
    assert_eq!(
        pg_number_in(
            &catalog,
            "SELECT count(*)::bigint FROM information_schema.columns
             WHERE table_name = 'projects' AND column_name = 'archived'
               AND table_schema IN ('public', 'tenant_template')"
        )
        .await,
        2
    );
    // A tenant created now starts from the migrated templates.
    app.tenant("newcomer").await;
    assert!(migrated(&app, "newcomer").await);
}
