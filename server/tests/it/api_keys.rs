//! API keys and platform tokens: created by admins and shown once, stored as
//! digests, resolving their own tenant, refused on any other tenant's host,
//! revocable; the OpenAPI document describes every route.

use crate::harness::{TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;
use tenantry::entities::tenant::api_key;

on_both_backends!(
    an_api_key_lists_its_tenants_projects_and_is_refused_on_another_host,
    a_token_carries_its_tenant_and_is_refused_on_another_host_or_when_tampered,
    revoked_and_expired_keys_stop_working_at_once,
    keys_are_kept_only_as_digests_and_never_listed_again,
    key_requests_are_validated_and_members_cannot_create_keys,
    the_openapi_document_describes_every_route,
    a_key_with_its_own_rate_limit_is_refused_past_it_and_others_are_not,
);

async fn project(app: &TestApp, slug: &str, name: &str) {
    let mut owner = app.owner_client(slug).await;
    let res = owner
        .post_json("/api/v1/projects", json!({"name": name}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

async fn an_api_key_lists_its_tenants_projects_and_is_refused_on_another_host(app: TestApp) {
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    project(&app, "alpha", "Alpha roadmap").await;
    project(&app, "bravo", "Bravo secret").await;
    let secret = app.api_key("alpha", "member").await;

    let mut on_alpha = app.bearer_client("alpha.localhost", &secret);
    let res = on_alpha.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.contains("Alpha roadmap"), "{}", res.text);
    assert!(!res.text.contains("Bravo"), "{}", res.text);
    // The key writes as the member it is.
    let res = on_alpha
        .post_json("/api/v1/projects", json!({"name": "By key"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    for path in ["/api/v1/projects", "/api/v1/flags"] {
        let mut on_bravo = app.bearer_client("bravo.localhost", &secret);
        let res = on_bravo.get(path).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{path}: {}", res.text);
        assert!(!res.text.contains("Bravo"), "{}", res.text);
    }
    let mut on_bravo = app.bearer_client("bravo.localhost", &secret);
    let res = on_bravo
        .post_json("/api/v1/projects", json!({"name": "pwned"}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    // Bravo is untouched.
    let mut bravo = app.owner_client("bravo").await;
    let list = bravo.get("/api/v1/projects").await.json();
    assert_eq!(list["projects"].as_array().expect("list").len(), 1);
    // A made-up key of the right shape is refused the same way.
    let mut forged = app.bearer_client(
        "alpha.localhost",
        &format!("{}x", &secret[..secret.len() - 1]),
    );
    assert_eq!(
        forged.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_token_carries_its_tenant_and_is_refused_on_another_host_or_when_tampered(app: TestApp) {
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    project(&app, "alpha", "Alpha roadmap").await;
    let secret = app.api_key("alpha", "viewer").await;
    let mut by_key = app.bearer_client("alpha.localhost", &secret);
    let res = by_key.post_json("/api/v1/token", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let issued = res.json()["token"].clone();
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["expires_in"], 900);
    let token = issued["access_token"].as_str().expect("token").to_owned();

    let mut on_alpha = app.bearer_client("alpha.localhost", &token);
    let res = on_alpha.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.contains("Alpha roadmap"));
    // The key behind the token is a viewer.
    let res = on_alpha
        .post_json("/api/v1/projects", json!({"name": "x"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);

    let mut on_bravo = app.bearer_client("bravo.localhost", &token);
    assert_eq!(
        on_bravo.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A token claiming bravo, signed with the wrong key, is refused; so is the
    // real token with its payload edited.
    let parts: Vec<&str> = token.split('.').collect();
    let payload = base64_url(parts[1]);
    let alpha_id = app.ctx("alpha").await.id().to_string();
    let bravo_id = app.ctx("bravo").await.id().to_string();
    assert!(payload.contains(&alpha_id), "{payload}");
    let forged_payload = encode_url(&payload.replace(&alpha_id, &bravo_id));
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let mut tampered_on_bravo = app.bearer_client("bravo.localhost", &tampered);
    assert_eq!(
        tampered_on_bravo.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut bad_signature = app.bearer_client(
        "alpha.localhost",
        &format!("{}.{}.{}", parts[0], parts[1], "AAAA"),
    );
    assert_eq!(
        bad_signature.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A session exchanges itself for a token naming the member.
    let mut owner = app.owner_client("alpha").await;
    let res = owner.post_json("/api/v1/token", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let member_token = res.json()["token"]["access_token"]
        .as_str()
        .expect("t")
        .to_owned();
    let mut as_owner = app.bearer_client("alpha.localhost", &member_token);
    let res = as_owner
        .post_json("/api/v1/projects", json!({"name": "By token"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let _ = PASSWORD;
}

fn base64_url(part: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    String::from_utf8(bytes).expect("utf8")
}

fn encode_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

async fn revoked_and_expired_keys_stop_working_at_once(app: TestApp) {
    app.tenant("alpha").await;
    let secret = app.api_key("alpha", "member").await;
    let mut by_key = app.bearer_client("alpha.localhost", &secret);
    let token = by_key.post_json("/api/v1/token", json!({})).await.json()["token"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mut owner = app.owner_client("alpha").await;
    let keys = owner.get("/api/v1/api-keys").await.json();
    let id = keys["api_keys"][0]["id"].as_str().expect("id").to_owned();
    assert!(keys["api_keys"][0]["last_used_at"].is_string(), "{keys}");
    let res = owner
        .json_request("DELETE", &format!("/api/v1/api-keys/{id}"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.json()["api_key"]["revoked_at"].is_string());
    assert_eq!(
        by_key.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut by_token = app.bearer_client("alpha.localhost", &token);
    assert_eq!(
        by_token.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );

    // An expired key: its expiry moved into the past.
    let secret = app.api_key("alpha", "member").await;
    let prefix = secret.rsplit_once('_').expect("prefix").0.to_owned();
    let db = app.ctx("alpha").await.db().await.expect("db");
    let row = api_key::Entity::find()
        .all(&db)
        .await
        .expect("rows")
        .into_iter()
        .find(|k| k.prefix == prefix)
        .expect("row");
    let mut active: api_key::ActiveModel = row.into();
    active.expires_at = sea_orm::Set(Some(chrono::Utc::now() - chrono::Duration::minutes(1)));
    sea_orm::ActiveModelTrait::update(active, &db)
        .await
        .expect("expire");
    db.commit().await.expect("commit");
    let mut expired = app.bearer_client("alpha.localhost", &secret);
    assert_eq!(
        expired.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn keys_are_kept_only_as_digests_and_never_listed_again(app: TestApp) {
    let ctx = app.tenant("alpha").await;
    let secret = app.api_key("alpha", "admin").await;
    let db = ctx.read().await.expect("db");
    let rows = api_key::Entity::find().all(&db).await.expect("rows");
    db.commit().await.expect("commit");
    let row = format!("{:?}", rows);
    let secret_part = secret.rsplit_once('_').expect("secret").1;
    assert!(!row.contains(secret_part), "the secret is stored: {row}");
    let mut owner = app.owner_client("alpha").await;
    let list = owner.get("/api/v1/api-keys").await;
    assert!(!list.text.contains(secret_part), "{}", list.text);
    assert!(
        list.text.contains(&secret[..16]),
        "the prefix is shown: {}",
        list.text
    );
    // The tenant's audit log names the key by prefix, never by secret.
    let audit = tenantry::audit::for_tenant(&ctx, 20).await.expect("audit");
    assert!(audit.iter().any(|e| e.action == "api_key.created"));
    assert!(!format!("{audit:?}").contains(secret_part));
}

async fn key_requests_are_validated_and_members_cannot_create_keys(app: TestApp) {
    let ctx = app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    for (body, field) in [
        (json!({"name": "", "role": "member"}), "name"),
        (json!({"name": "ci", "role": "owner"}), "role"),
        (
            json!({"name": "ci", "role": "member", "expires_in_days": "0"}),
            "expires_in_days",
        ),
    ] {
        let res = owner.post_json("/api/v1/api-keys", body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        assert_eq!(res.json()["error"]["field"], field);
    }
    let db = ctx.db().await.expect("db");
    let new = tenantry::identity::members::NewMember::parse("m@alpha.test", "", PASSWORD, "member")
        .expect("member");
    tenantry::identity::members::create(&db, new)
        .await
        .expect("created");
    db.commit().await.expect("commit");
    let mut member = app.owner_client_as("alpha", "m@alpha.test").await;
    let res = member
        .post_json("/api/v1/api-keys", json!({"name": "x", "role": "viewer"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let db = ctx.read().await.expect("db");
    assert!(api_key::Entity::find()
        .all(&db)
        .await
        .expect("rows")
        .is_empty());
    db.commit().await.expect("commit");
}

async fn the_openapi_document_describes_every_route(app: TestApp) {
    app.tenant("alpha").await;
    let mut anon = app.client("alpha.localhost");
    let res = anon.get("/api/v1/openapi.json").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let doc = res.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = std::collections::HashSet::new();
    for route in tenantry_server::api::table() {
        let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
        assert!(op.is_object(), "{} {} is missing", route.method, route.path);
        assert_eq!(op["x-tenantry-need"], route.need.as_str());
        assert!(ids.insert(op["operationId"].as_str().expect("id").to_owned()));
    }
    let create = &doc["paths"]["/api/v1/api-keys"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    assert_eq!(create["required"], json!(["name", "role"]));
}

async fn a_key_with_its_own_rate_limit_is_refused_past_it_and_others_are_not(app: TestApp) {
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let res = owner
        .post_json(
            "/api/v1/api-keys",
            json!({"name": "slow", "role": "viewer", "requests_per_second": "1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["api_key"]["key"]["requests_per_second"], 1);
    let slow = res.json()["api_key"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let other = app.api_key("alpha", "viewer").await;
    let mut by_slow = app.bearer_client("alpha.localhost", &slow);
    assert_eq!(by_slow.get("/api/v1/projects").await.status, StatusCode::OK);
    let res = by_slow.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    assert_eq!(res.json()["error"]["code"], "rate_limited");
    // The other key, and the members, still get through.
    let mut by_other = app.bearer_client("alpha.localhost", &other);
    for _ in 0..3 {
        assert_eq!(
            by_other.get("/api/v1/projects").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);
}
