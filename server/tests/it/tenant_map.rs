//! The in-memory tenant map: resolution is served from memory, and a change
//! made by another process reaches every server through the catalog's
//! notifications.

use crate::harness::{pg_admin_in, TestApp};
use axum::http::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_suspended_by_another_process_is_refused_here_within_moments() {
    let app = TestApp::postgres().await;
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);
    assert!(
        !app.engine.tenant_cache().is_empty(),
        "resolved from memory now"
    );

    // Another instance (here: the superuser, by hand) suspends the tenant.
    let db = app.pg_database.clone().expect("postgres");
    pg_admin_in(
        &db,
        "UPDATE tenants SET state = 'suspended' WHERE slug = 'acme'",
    )
    .await;
    let mut refused = false;
    for _ in 0..50 {
        if owner.get("/api/v1/projects").await.status == StatusCode::FORBIDDEN {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "the notification evicted the cached tenant");

    // And a rename of its branding by hand shows up the same way.
    pg_admin_in(
        &db,
        "UPDATE tenants SET state = 'active' WHERE slug = 'acme'",
    )
    .await;
    pg_admin_in(
        &db,
        "UPDATE tenant_branding SET display_name = 'Acme Renamed' FROM tenants
         WHERE tenants.id = tenant_branding.tenant AND tenants.slug = 'acme'",
    )
    .await;
    let mut renamed = false;
    for _ in 0..50 {
        let page = owner.get("/").await;
        if page.text.contains("Acme Renamed") {
            renamed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(renamed, "branding change reached the map");
}
