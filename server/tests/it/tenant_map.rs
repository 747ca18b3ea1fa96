//! The in-memory tenant map: resolution is served from memory, and a change
//! made by another process reaches every server through the catalog's
//! notifications.

use crate::harness::{pg_admin_in, Client, TestApp};
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
    assert!(
        answers_within_moments(&mut owner, StatusCode::FORBIDDEN).await,
        "the notification evicted the cached tenant"
    );

    // And its admins renaming it on another instance show up the same way
    // (branding lives in the tenant's plane; the relay of its event
    // touches the directory row, whose trigger notifies).
    pg_admin_in(
        &db,
        "UPDATE tenants SET state = 'active' WHERE slug = 'acme'",
    )
    .await;
    let other = app.with_settings(&[]).await;
    let id = app.ctx("acme").await.id();
    let there = other.ctx_for(id).await.expect("acme on the other instance");
    let input = tenantry::branding::BrandingInput {
        display_name: "Acme Renamed".into(),
        primary_color: "#4f46e5".into(),
        accent_color: "#0369a1".into(),
        ..Default::default()
    };
    tenantry::branding::update(&there, input, "member:test")
        .await
        .expect("renamed there");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_revoked_on_another_instance_is_refused_here_within_moments() {
    use tenantry::identity::{api_keys, Actor, Role};
    let app = TestApp::postgres().await;
    let ctx = app.tenant("acme").await;
    let key = app.api_key("acme", "member").await;
    let mut api = app.bearer_client("acme.localhost", &key);
    // Twice: the second request finds the key in this instance's memory.
    for _ in 0..2 {
        assert_eq!(api.get("/api/v1/projects").await.status, StatusCode::OK);
    }

    let other = app.with_settings(&[]).await;
    let there = other
        .ctx_for(ctx.id())
        .await
        .expect("acme on the other instance");
    let listed = api_keys::list(&there).await.expect("keys");
    let id = listed
        .iter()
        .find(|k| key.starts_with(&k.prefix))
        .expect("the key")
        .id;
    let admin = Actor {
        role: Role::Owner,
        member: None,
        label: "member:owner@acme.test".into(),
    };
    api_keys::revoke(&there, &admin, id)
        .await
        .expect("revoked there");
    assert!(
        answers_within_moments(&mut api, StatusCode::UNAUTHORIZED).await,
        "the key this instance knew was forgotten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_removed_on_another_instance_is_refused_here_within_moments() {
    use tenantry::authz::Need;
    use tenantry::identity::caller::run_as;
    use tenantry::identity::members::{self, NewMember};
    use tenantry::identity::{Actor, Caller, Role};
    let app = TestApp::postgres().await;
    let ctx = app.tenant("acme").await;
    let db = ctx.db().await.expect("db");
    let new = NewMember::parse("ann@acme.test", "Ann", crate::harness::PASSWORD, "viewer")
        .expect("valid");
    let ann = members::create(&db, new).await.expect("ann");
    db.commit().await.expect("commit");
    // As a request finds the tenant: from this instance's map.
    let reads_as_ann = async || {
        let Some(tenantry::tenancy::RequestScope::Tenant(here)) =
            tenantry::catalog::resolve::by_slug(&app.engine, "acme")
                .await
                .expect("resolve")
        else {
            panic!("acme resolves");
        };
        let caller = Caller::User(Some(ann.id));
        run_as(
            &here,
            &caller,
            Need::Reader,
            async |_, actor| Ok(actor.role),
        )
        .await
    };
    // The second read takes Ann as this instance kept her.
    for _ in 0..2 {
        assert_eq!(reads_as_ann().await.expect("reads"), Role::Viewer);
    }

    let other = app.with_settings(&[]).await;
    let there = other
        .ctx_for(ctx.id())
        .await
        .expect("acme on the other instance");
    let owner = Actor {
        role: Role::Owner,
        member: None,
        label: "member:owner@acme.test".into(),
    };
    members::remove(&there, &owner, ann.id)
        .await
        .expect("removed there");
    let mut refused = false;
    for _ in 0..50 {
        if matches!(reads_as_ann().await, Err(tenantry::Error::Unauthenticated)) {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "the member this instance kept was forgotten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_changed_here_is_read_at_once() {
    use tenantry::authz::Need;
    use tenantry::identity::caller::run_as;
    use tenantry::identity::members::{self, NewMember};
    use tenantry::identity::{Actor, Caller, Role};
    let app = TestApp::sqlite().await;
    let ctx = app.tenant("acme").await;
    let db = ctx.db().await.expect("db");
    let new = NewMember::parse("bob@acme.test", "Bob", crate::harness::PASSWORD, "viewer")
        .expect("valid");
    let bob = members::create(&db, new).await.expect("bob");
    db.commit().await.expect("commit");
    let caller = Caller::User(Some(bob.id));
    let role_read = async || {
        run_as(&ctx, &caller, Need::Reader, async |_, actor| Ok(actor.role))
            .await
            .expect("reads")
    };
    assert_eq!(role_read().await, Role::Viewer);
    assert_eq!(role_read().await, Role::Viewer);
    let owner = Actor {
        role: Role::Owner,
        member: None,
        label: "member:owner@acme.test".into(),
    };
    members::change_role(&ctx, &owner, bob.id, "member")
        .await
        .expect("changed");
    assert_eq!(role_read().await, Role::Member, "kept role forgotten");
}

/// Whether `GET /api/v1/projects` answers `status` within a second.
async fn answers_within_moments(client: &mut Client, status: StatusCode) -> bool {
    for _ in 0..50 {
        if client.get("/api/v1/projects").await.status == status {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}
