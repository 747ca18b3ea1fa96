use crate::harness::{TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use serde_json::json;
use tenantry::catalog::tenants;
use tenantry::tenancy::Placement;
use tenantry_app::features::console::api::{
    CreateTenant, DeleteTenant, ListAudit, ListTenants, ResumeTenant, SuspendTenant,
};

on_both_backends!(
    console_tenant_creation_gives_field_errors_and_writes_nothing_on_bad_input,
    suspended_tenant_refuses_api_and_sign_in_and_shows_the_suspended_page,
    deleted_tenant_leaves_its_host_at_once_and_is_purged_after_the_grace_period,
    console_actions_are_in_the_platform_audit_log,
    console_functions_need_a_superadmin_session_made_on_the_console,
);

async fn console_tenant_creation_gives_field_errors_and_writes_nothing_on_bad_input(app: TestApp) {
    let mut admin = app.superadmin().await;
    app.tenant("taken").await;
    let valid = [
        ("slug", "acme"),
        ("name", "Acme"),
        ("admin_email", "a@acme.test"),
        ("admin_password", PASSWORD),
    ];
    let cases: [(&str, &str, &str, StatusCode); 8] = [
        ("slug", "admin", "slug", StatusCode::UNPROCESSABLE_ENTITY),
        ("slug", "ab", "slug", StatusCode::UNPROCESSABLE_ENTITY),
        ("slug", "Bad_Slug", "slug", StatusCode::UNPROCESSABLE_ENTITY),
        ("slug", "taken", "slug", StatusCode::CONFLICT),
        ("name", "  ", "name", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "admin_email",
            "not-an-email",
            "admin_email",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "admin_password",
            "short",
            "admin_password",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "name",
            &"n".repeat(101),
            "name",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (key, value, field, status) in cases {
        let form: Vec<(&str, &str)> = valid
            .iter()
            .map(|(k, v)| if *k == key { (*k, value) } else { (*k, *v) })
            .collect();
        let res = admin.server_fn::<CreateTenant>(&form).await;
        assert_eq!(res.status, status, "{key}={value}: {}", res.text);
        assert_eq!(res.json()["field"], field, "{key}={value}");
    }
    // An invited owner (no password): refused the same way, by the catalog's
    // unique constraint rather than a read before it.
    let invited = [
        ("slug", "taken"),
        ("name", "Acme"),
        ("admin_email", "a@acme.test"),
        ("admin_password", ""),
    ];
    let res = admin.server_fn::<CreateTenant>(&invited).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "invited: {}", res.text);
    assert_eq!(res.json()["field"], "slug");
    let all = tenants::list(&app.engine, "", None).await.expect("list");
    assert_eq!(all.len(), 1, "only the pre-existing tenant exists");
    if !app.is_postgres() {
        let files = std::fs::read_dir(app.settings.tenant_files_dir())
            .expect("tenant files dir")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "db"))
            })
            .count();
        assert_eq!(
            files, 1,
            "no tenant file was provisioned for rejected input"
        );
    }

    let res = admin.server_fn::<CreateTenant>(&valid).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["state"], "active");
    let listed = admin
        .server_fn::<ListTenants>(&[("query", "acm"), ("state", "")])
        .await;
    assert_eq!(listed.json()["rows"].as_array().expect("rows").len(), 1);
    app.owner_client_as("acme", "a@acme.test").await;
}

async fn suspended_tenant_refuses_api_and_sign_in_and_shows_the_suspended_page(app: TestApp) {
    let mut admin = app.superadmin().await;
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    assert_eq!(
        admin
            .server_fn::<SuspendTenant>(&[("slug", "acme")])
            .await
            .status,
        StatusCode::OK
    );

    let res = owner.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.json()["error"]["code"], "tenant_suspended");
    let res = owner
        .post_json("/api/v1/projects", json!({"name": "x"}))
        .await;
    assert_eq!(res.json()["error"]["code"], "tenant_suspended");
    let mut anon = app.client("acme.localhost");
    let res = anon
        .post_json(
            "/api/v1/session",
            json!({"email": "owner@acme.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = anon
        .server_fn::<tenantry_app::features::session::api::SignIn>(&[
            ("email", "owner@acme.test"),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let page = anon.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("This workspace is suspended"),
        "suspended page shown"
    );

    let res = owner
        .server_fn::<tenantry_app::features::product::api::ListProjects>(&[])
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "no reads while suspended"
    );

    assert_eq!(
        admin
            .server_fn::<ResumeTenant>(&[("slug", "acme")])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);
    let signed_out = owner
        .server_fn::<tenantry_app::features::session::api::Logout>(&[])
        .await;
    assert_eq!(signed_out.status, StatusCode::OK);
}

async fn deleted_tenant_leaves_its_host_at_once_and_is_purged_after_the_grace_period(app: TestApp) {
    let mut admin = app.superadmin().await;
    let ctx = app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    owner
        .post_json("/api/v1/projects", json!({"name": "Doomed"}))
        .await;

    let res = admin
        .server_fn::<DeleteTenant>(&[("slug", "acme"), ("confirm", "acm")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["field"], "confirm");
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        StatusCode::OK,
        "not deleted yet"
    );

    let res = admin
        .server_fn::<DeleteTenant>(&[("slug", "acme"), ("confirm", "acme")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(owner.get("/login").await.status, StatusCode::NOT_FOUND);

    // Kept during the grace period: its rows still exist.
    assert_eq!(
        tenantry::lifecycle::purge_expired(&app.engine, "test")
            .await
            .expect("purge"),
        0
    );
    let db = ctx.db().await.expect("db");
    assert_eq!(
        tenantry::product::projects::list(&db)
            .await
            .expect("list")
            .len(),
        1
    );
    drop(db);

    let zero_grace = app.with_settings(&[("deleted_grace_days", "0")]).await;
    assert_eq!(
        tenantry::lifecycle::purge_expired(&zero_grace, "test")
            .await
            .expect("purge"),
        1
    );
    assert!(
        tenants::get(&app.engine, "acme").await.is_err(),
        "catalog row gone"
    );
    if !app.is_postgres() {
        assert!(
            !app.settings
                .tenant_files_dir()
                .join(format!("{}.db", ctx.id()))
                .exists(),
            "file removed"
        );
    } else {
        match ctx.tenant().placement {
            Placement::Pool => {
                let db = ctx.db().await.expect("db");
                assert!(
                    tenantry::product::projects::list(&db)
                        .await
                        .expect("list")
                        .is_empty(),
                    "rows removed"
                );
            }
            // Its own schema or database is gone, and with it every row.
            Placement::Schema | Placement::Database => assert!(
                !crate::placements::storage_exists(&app, ctx.tenant()).await,
                "storage dropped"
            ),
        }
    }
}

async fn console_actions_are_in_the_platform_audit_log(app: TestApp) {
    let mut admin = app.superadmin().await;
    let form = [
        ("slug", "acme"),
        ("name", "Acme"),
        ("admin_email", "a@acme.test"),
        ("admin_password", PASSWORD),
    ];
    admin.server_fn::<CreateTenant>(&form).await;
    admin.server_fn::<SuspendTenant>(&[("slug", "acme")]).await;
    admin.server_fn::<ResumeTenant>(&[("slug", "acme")]).await;
    admin
        .server_fn::<DeleteTenant>(&[("slug", "acme"), ("confirm", "acme")])
        .await;
    let audit = admin.server_fn::<ListAudit>(&[]).await;
    let actions: Vec<String> = audit.json()["rows"]
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    for expected in [
        "tenant.created",
        "tenant.suspended",
        "tenant.resumed",
        "tenant.deleted",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    assert!(audit.text.contains("superadmin:root@platform.test"));
}

async fn console_functions_need_a_superadmin_session_made_on_the_console(app: TestApp) {
    app.tenant("acme").await;
    let mut anon = app.client("admin.localhost");
    let res = anon
        .server_fn::<ListTenants>(&[("query", ""), ("state", "")])
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let owner = app.owner_client("acme").await;
    let mut carried = owner.on_host("admin.localhost");
    let res = carried
        .server_fn::<ListTenants>(&[("query", ""), ("state", "")])
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "a tenant session is anonymous on the console"
    );
    let mut admin = app.superadmin().await;
    let mut on_tenant = admin.on_host("acme.localhost");
    let res = on_tenant
        .server_fn::<SuspendTenant>(&[("slug", "acme")])
        .await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "console functions do not exist on tenant hosts"
    );
    assert_eq!(
        admin
            .server_fn::<ListTenants>(&[("query", ""), ("state", "")])
            .await
            .status,
        StatusCode::OK
    );
}
