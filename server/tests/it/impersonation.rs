//! Superadmin impersonation: a reason, a time limit, a banner, refusals, a
//! single-use handoff bound to its tenant, and every request in the tenant's
//! audit log under both identities, readable by the tenant's admins.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::{header, StatusCode};
use sea_orm::EntityTrait;
use serde_json::json;
use tenantry::entities::tenant::impersonation;
use tenantry::identity::members::{self, NewMember};
use tenantry_app::features::console::api::Impersonate;
use tenantry_app::features::session::api::{Logout, PageContext};
use tenantry_app::features::tenant_audit::api::{ListTenantAudit, SetSupportAccess};

on_both_backends!(
    a_support_session_acts_as_the_member_is_audited_under_both_and_ends,
    impersonation_is_refused_without_a_reason_for_superadmins_and_for_owners_who_refuse,
    the_handoff_link_works_once_and_only_on_its_tenant,
);

async fn member(app: &TestApp, slug: &str, email: &str, role: &str) {
    let ctx = app.ctx(slug).await;
    let db = ctx.db().await.expect("db");
    let new = NewMember::parse(email, "", PASSWORD, role).expect("member");
    members::create(&db, new).await.expect("created");
    db.commit().await.expect("commit");
}

/// Moves the tenant's first impersonation past its time.
pub(crate) async fn run_out_the_first_impersonation(app: &TestApp, slug: &str) {
    let db = app.ctx(slug).await.db().await.expect("db");
    let row = impersonation::Entity::find()
        .all(&db)
        .await
        .expect("rows")
        .remove(0);
    let mut active: impersonation::ActiveModel = row.into();
    active.expires_at = sea_orm::Set(chrono::Utc::now() - chrono::Duration::seconds(1));
    sea_orm::ActiveModelTrait::update(active, &db)
        .await
        .expect("expire");
    db.commit().await.expect("commit");
}

/// The handoff path (`/impersonate/<token>`) of a new support session.
async fn start(root: &mut Client, slug: &str, email: &str) -> String {
    let res = root
        .server_fn::<Impersonate>(&[
            ("slug", slug),
            ("email", email),
            ("reason", "ticket 42: cannot see a project"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let url = res.json()["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&format!("http://{slug}.localhost/impersonate/")),
        "{url}"
    );
    url::Url::parse(&url).expect("url").path().to_owned()
}

async fn a_support_session_acts_as_the_member_is_audited_under_both_and_ends(app: TestApp) {
    app.tenant("alpha").await;
    member(&app, "alpha", "bob@alpha.test", "member").await;
    let mut root = app.superadmin().await;
    let path = start(&mut root, "alpha", "bob@alpha.test").await;
    let mut support = app.client("alpha.localhost");
    let res = support.get(&path).await;
    assert_eq!(res.headers[header::LOCATION], "/", "{}", res.text);
    let res = support.server_fn::<PageContext>(&[]).await;
    let page = res.json();
    assert_eq!(page["viewer"]["email"], "bob@alpha.test", "{page}");
    assert_eq!(page["impersonation"]["admin_email"], "root@platform.test");
    let res = support
        .post_json("/api/v1/projects", json!({"name": "Made in support"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    // The tenant's own admins see both identities on every request.
    let mut owner = app.owner_client("alpha").await;
    let audit = owner.server_fn::<ListTenantAudit>(&[]).await.json();
    let rows = audit["rows"].as_array().expect("rows");
    let both = "superadmin:root@platform.test as member:bob@alpha.test";
    assert!(rows.iter().any(|r| r["action"] == "impersonation.started"
        && r["detail"]
            .as_str()
            .is_some_and(|d| d.contains("ticket 42"))));
    assert!(
        rows.iter().any(|r| r["action"] == "impersonation.request"
            && r["actor"] == both
            && r["detail"] == "POST /api/v1/projects"),
        "{audit}"
    );
    // Plan decisions stay on the console.
    assert!(rows
        .iter()
        .all(|r| !r["action"].as_str().unwrap_or("").starts_with("tenant.")));

    // Past its time the session is simply signed out.
    run_out_the_first_impersonation(&app, "alpha").await;
    assert_eq!(
        support.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );

    // Signing out ends a session at once (and it is audited).
    let path = start(&mut root, "alpha", "bob@alpha.test").await;
    let mut again = app.client("alpha.localhost");
    again.get(&path).await;
    assert_eq!(again.get("/api/v1/projects").await.status, StatusCode::OK);
    let mut copy = again.on_host("alpha.localhost");
    again.server_fn::<Logout>(&[]).await;
    assert_eq!(
        copy.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let audit = owner.server_fn::<ListTenantAudit>(&[]).await.json();
    assert!(audit["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .any(|r| r["action"] == "impersonation.ended"));
}

async fn impersonation_is_refused_without_a_reason_for_superadmins_and_for_owners_who_refuse(
    app: TestApp,
) {
    app.tenant("alpha").await;
    member(&app, "alpha", "bob@alpha.test", "member").await;
    let mut root = app.superadmin().await;
    // The superadmin's own email is also a member here.
    member(&app, "alpha", "root@platform.test", "member").await;
    for (form, status, field) in [
        (
            vec![("email", "bob@alpha.test"), ("reason", " ")],
            422,
            Some("reason"),
        ),
        (
            vec![("email", "nobody@alpha.test"), ("reason", "ticket 1")],
            422,
            Some("email"),
        ),
        (
            vec![("email", "root@platform.test"), ("reason", "ticket 1")],
            403,
            None,
        ),
    ] {
        let mut all = vec![("slug", "alpha")];
        all.extend(form);
        let res = root.server_fn::<Impersonate>(&all).await;
        assert_eq!(res.status.as_u16(), status, "{}", res.text);
        if let Some(field) = field {
            assert_eq!(res.json()["field"], field);
        }
    }
    // An owner who refuses support access cannot be impersonated; a member
    // cannot refuse on an owner's behalf.
    let mut owner = app.owner_client("alpha").await;
    let res = owner
        .server_fn::<SetSupportAccess>(&[("refuse", "true")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = root
        .server_fn::<Impersonate>(&[
            ("slug", "alpha"),
            ("email", "owner@alpha.test"),
            ("reason", "ticket 2"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert!(res.text.contains("support access"));
    let mut bob = app.owner_client_as("alpha", "bob@alpha.test").await;
    let res = bob.server_fn::<SetSupportAccess>(&[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Only on the console.
    let res = owner
        .server_fn::<Impersonate>(&[
            ("slug", "alpha"),
            ("email", "bob@alpha.test"),
            ("reason", "ticket 3"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

async fn the_handoff_link_works_once_and_only_on_its_tenant(app: TestApp) {
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    member(&app, "alpha", "bob@alpha.test", "member").await;
    let mut root = app.superadmin().await;
    let path = start(&mut root, "alpha", "bob@alpha.test").await;
    let mut on_bravo = app.client("bravo.localhost");
    assert_eq!(on_bravo.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        on_bravo.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut on_alpha = app.client("alpha.localhost");
    assert!(on_alpha.get(&path).await.status.is_redirection());
    let mut later = app.client("alpha.localhost");
    assert_eq!(later.get(&path).await.status, StatusCode::NOT_FOUND);
    // The session's cookie carried to bravo is nobody there.
    let mut carried = on_alpha.on_host("bravo.localhost");
    assert_eq!(
        carried.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
}
