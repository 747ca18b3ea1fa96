//! The platform API on the console host: bearer-token authenticated, the same
//! lifecycle operations and validation as the console and CLI, invisible on
//! tenant hosts. Route checks iterate the route table, so a new route is
//! covered without edits here.

use crate::harness::{Client, TestApp, PASSWORD, PLATFORM_TOKEN};
use crate::on_both_backends;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use tenantry::events::outbox;
use tenantry_server::platform_api;

on_both_backends!(
    every_platform_route_is_404_on_tenant_hosts_and_401_without_the_token,
    the_platform_api_runs_the_tenant_lifecycle_with_the_consoles_validation,
);

async fn call(
    client: &mut Client,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> crate::harness::Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    client
        .send(req.body(Body::from(body.to_string())).expect("request"))
        .await
}

fn concrete(path: &str) -> String {
    path.replace("{slug}", "bravo")
}

async fn every_platform_route_is_404_on_tenant_hosts_and_401_without_the_token(app: TestApp) {
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let before = tenantry::catalog::tenants::list(&app.engine, "", None)
        .await
        .expect("list");
    let routes = platform_api::table();
    assert!(routes.len() >= 7, "route table is populated");
    // Alpha's owner, signed in on alpha's host, even holding the token.
    let mut owner = app.owner_client("alpha").await;
    let mut console = app.client("admin.localhost");
    let body = json!({"slug": "pwned", "name": "x", "admin_email": "x@x.test", "admin_password": PASSWORD});
    for route in &routes {
        let path = concrete(route.path);
        let what = format!("{} {}", route.method, route.path);
        for token in [None, Some(PLATFORM_TOKEN)] {
            let res = call(&mut owner, route.method, &path, token, body.clone()).await;
            assert_eq!(
                res.status,
                StatusCode::NOT_FOUND,
                "{what} on a tenant host: {}",
                res.text
            );
            assert!(!res.text.contains("bravo"), "{what} leaked: {}", res.text);
        }
        for token in [None, Some("wrong"), Some(""), Some(&PLATFORM_TOKEN[..10])] {
            let res = call(&mut console, route.method, &path, token, body.clone()).await;
            assert_eq!(
                res.status,
                StatusCode::UNAUTHORIZED,
                "{what} with {token:?}: {}",
                res.text
            );
            assert_eq!(
                res.headers
                    .get(header::WWW_AUTHENTICATE)
                    .map(|v| v.as_bytes()),
                Some(&b"Bearer"[..])
            );
        }
    }
    let after = tenantry::catalog::tenants::list(&app.engine, "", None)
        .await
        .expect("list");
    assert_eq!(
        format!("{before:?}"),
        format!("{after:?}"),
        "an unauthorised call changed tenants"
    );

    // Without a configured token the API does not exist, even on the console.
    let app = app
        .with_router_settings(&[("platform_api_token", "")])
        .await;
    let mut console = app.client("admin.localhost");
    let res = call(
        &mut console,
        "GET",
        "/api/platform/v1/tenants",
        Some(""),
        json!({}),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

async fn the_platform_api_runs_the_tenant_lifecycle_with_the_consoles_validation(app: TestApp) {
    let mut api = app.client("admin.localhost");
    let token = Some(PLATFORM_TOKEN);
    let tenants = "/api/platform/v1/tenants";
    let valid = json!({"slug": "acme", "name": "Acme", "admin_email": "a@acme.test", "admin_password": PASSWORD, "pending": true});

    for (field, value, status) in [
        ("slug", json!("admin"), StatusCode::UNPROCESSABLE_ENTITY),
        ("slug", json!("Bad_Slug"), StatusCode::UNPROCESSABLE_ENTITY),
        ("name", json!(" "), StatusCode::UNPROCESSABLE_ENTITY),
        (
            "admin_email",
            json!("nope"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "admin_password",
            json!("short"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "placement",
            json!("cluster"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("pending", json!("yes"), StatusCode::UNPROCESSABLE_ENTITY),
        ("name", Value::Null, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let mut body = valid.clone();
        body[field] = value.clone();
        let res = call(&mut api, "POST", tenants, token, body).await;
        assert_eq!(res.status, status, "{field}={value}: {}", res.text);
        assert_eq!(res.json()["error"]["field"], field, "{field}={value}");
    }
    let req = Request::post(tenants)
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::AUTHORIZATION, format!("Bearer {PLATFORM_TOKEN}"))
        .body(Body::from(valid.to_string()))
        .expect("request");
    assert_eq!(
        api.send(req).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert!(tenantry::catalog::tenants::list(&app.engine, "", None)
        .await
        .expect("list")
        .is_empty());

    // Created pending (provisioned ahead), then activated.
    let res = call(&mut api, "POST", tenants, token, valid.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["tenant"]["state"], "pending");
    let res = call(&mut api, "POST", tenants, token, valid.clone()).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let mut anon = app.client("acme.localhost");
    assert_eq!(
        anon.get("/login").await.status,
        StatusCode::NOT_FOUND,
        "pending tenants do not serve"
    );

    let steps = [
        ("POST", "/activate", "active"),
        ("POST", "/suspend", "suspended"),
        ("POST", "/resume", "active"),
        ("DELETE", "", "deleted"),
    ];
    for (method, suffix, state) in steps {
        let res = call(
            &mut api,
            method,
            &format!("{tenants}/acme{suffix}"),
            token,
            json!({}),
        )
        .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{method} {suffix}: {}",
            res.text
        );
        assert_eq!(res.json()["tenant"]["state"], state);
        if suffix == "/activate" {
            app.owner_client_as("acme", "a@acme.test").await;
        }
    }
    let res = call(
        &mut api,
        "POST",
        &format!("{tenants}/acme/resume"),
        token,
        json!({}),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "a deleted tenant is gone"
    );
    let res = call(
        &mut api,
        "GET",
        &format!("{tenants}/nobody"),
        token,
        json!({}),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = call(
        &mut api,
        "GET",
        &format!("{tenants}?state=deleted"),
        token,
        json!({}),
    )
    .await;
    assert_eq!(res.json()["tenants"][0]["slug"], "acme");
    let res = call(
        &mut api,
        "GET",
        &format!("{tenants}?state=bogus"),
        token,
        json!({}),
    )
    .await;
    assert_eq!(res.json()["error"]["field"], "state");

    // Each change wrote its event, in order, attributed to the API.
    let mut events = outbox::recent(&app.engine, None, 100)
        .await
        .expect("events");
    events.reverse();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "tenant.created",
            "tenant.activated",
            "tenant.suspended",
            "tenant.resumed",
            "tenant.deleted"
        ]
    );
    assert!(events.iter().all(|e| e.actor == "platform-api"));
}
