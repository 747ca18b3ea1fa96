//! The attack suite's privilege matrix: every caller — anonymous, each role
//! by session, API keys of each role, a platform token, and a superadmin on
//! the console — against every server function and API route, each expected
//! to be allowed exactly when `authz::permits` admits the declared need.
//! Ids are random, so an allowed call that takes one answers 404 after it was
//! authorised; a refused one answers 401, 403 (or 404 on the wrong host).
//! Generated from the registries, like the rest of the attack suite.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use serde_json::json;
use tenantry::authz::{permits, Need, Principal};
use tenantry::identity::members::{self, NewMember};
use tenantry::identity::Role;
use tenantry_app::backend::needs;

on_both_backends!(
    every_server_function_is_allowed_exactly_for_the_roles_its_need_admits,
    every_api_route_is_allowed_exactly_for_the_roles_its_need_admits,
);

#[test]
fn every_server_function_declares_its_need() {
    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| needs::fn_name(path).to_owned())
        .collect();
    assert!(registered.len() >= 50, "registry is populated");
    let undeclared: Vec<&String> = registered
        .iter()
        .filter(|name| !needs::SERVER_FNS.iter().any(|(n, _)| n == name))
        .collect();
    assert!(
        undeclared.is_empty(),
        "server functions without a declared need (add them to backend/needs.rs): {undeclared:?}"
    );
    let stale: Vec<&str> = needs::SERVER_FNS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !registered.iter().any(|r| r == n))
        .collect();
    assert!(stale.is_empty(), "declared but not registered: {stale:?}");
}

/// Signed-in members of `alpha` in each role, with the principal they are.
async fn members_of_alpha(app: &TestApp) -> Vec<(Principal, Client)> {
    let ctx = app.tenant("alpha").await;
    let db = ctx.db().await.expect("db");
    for role in ["admin", "member", "viewer"] {
        let email = format!("{role}@alpha.test");
        let new = NewMember::parse(&email, "", PASSWORD, role).expect("member");
        members::create(&db, new).await.expect("created");
    }
    db.commit().await.expect("commit");
    let mut out = vec![(Principal::Anonymous, app.client("alpha.localhost"))];
    for (role, email) in [
        (Role::Owner, "owner@alpha.test"),
        (Role::Admin, "admin@alpha.test"),
        (Role::Member, "member@alpha.test"),
        (Role::Viewer, "viewer@alpha.test"),
    ] {
        out.push((
            Principal::Member(role),
            app.owner_client_as("alpha", email).await,
        ));
    }
    out
}

fn refused(status: StatusCode) -> bool {
    matches!(status.as_u16(), 401 | 403 | 404)
}

fn judge(what: &str, need: Need, who: Principal, status: StatusCode, text: &str) {
    assert!(!status.is_server_error(), "{what}: {status} {text}");
    if permits(need, who) {
        assert!(
            !matches!(status.as_u16(), 401 | 403),
            "{what} ({need:?}) refused {who:?}: {status} {text}"
        );
    } else {
        assert!(
            refused(status),
            "{what} ({need:?}) allowed {who:?}: {status} {text}"
        );
        if who == Principal::Anonymous && need != Need::Superadmin {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {text}");
        }
    }
}

/// Every field any server function takes: random ids (nothing to find),
/// values that pass validation where a call is harmless, and an invalid
/// `admin_email` so that no tenant is ever created.
fn matrix_form() -> Vec<(&'static str, String)> {
    let id = || uuid::Uuid::new_v4().to_string();
    vec![
        ("id", id()),
        ("project_id", id()),
        ("task_id", id()),
        ("user_id", id()),
        ("endpoint_id", id()),
        ("delivery_id", id()),
        ("domain_id", id()),
        ("key_id", id()),
        ("slug", "nosuch".into()),
        ("confirm", "other".into()),
        ("to", "nowhere".into()),
        ("name", "matrix".into()),
        ("title", "matrix".into()),
        ("email", "new-person@alpha.test".into()),
        ("password", PASSWORD.into()),
        ("current_password", "not the password".into()),
        ("new_password", PASSWORD.into()),
        ("handle", id()),
        ("code", "123456".into()),
        ("ticket", "matrix".into()),
        ("required", "false".into()),
        ("invite", "matrix".into()),
        ("new_email", "moved@alpha.test".into()),
        ("display_name", "matrix".into()),
        ("role", "member".into()),
        ("done", "true".into()),
        ("query", "".into()),
        ("state", "".into()),
        ("status", "".into()),
        ("after", "".into()),
        ("theme", "dark".into()),
        ("admin_email", "not-an-email".into()),
        ("admin_password", PASSWORD.into()),
        ("primary_color", "#000000".into()),
        ("accent_color", "#000000".into()),
        ("logo_url", "".into()),
        ("login_text", "".into()),
        ("url", "https://matrix.example/hook".into()),
        ("description", "matrix".into()),
        ("events", "*".into()),
        ("enabled", "false".into()),
        ("pending", "".into()),
        ("hostname", "matrix.example.test".into()),
        ("product_name", "matrix".into()),
        ("support_email", "support@matrix.test".into()),
        ("primary_color_dark", "#000000".into()),
        ("accent_color_dark", "#000000".into()),
        ("key", "no_such_flag".into()),
        ("plan", "no_such_plan".into()),
        ("tier", "matrix".into()),
        ("value", "true".into()),
        ("reason", "matrix".into()),
        ("kind", "boolean".into()),
        ("on", "true".into()),
        ("expires_in_days", "30".into()),
        ("requests_per_second", "".into()),
        ("invitation_id", id()),
        ("job_id", id()),
        ("token", "cd".repeat(32)),
        // Single sign-on settings: an issuer that never answers discovery.
        ("issuer", "http://127.0.0.1:1".into()),
        ("client_id", "pwned".into()),
        ("client_secret", "".into()),
        ("allowed_domains", "example.com".into()),
        ("default_role", "member".into()),
        ("break_glass_email", "".into()),
        // Billing: a meter, credit and an invoice number that does not exist.
        ("aggregation", "sum".into()),
        ("amount", "100".into()),
        ("number", "nosuch".into()),
        // Payments: an offer and a purchase that do not exist.
        ("offer_id", id()),
        ("purchase_id", id()),
        ("price", "1.00".into()),
        ("currency", "eur".into()),
        ("returned", "false".into()),
        ("period", "".into()),
    ]
}

pub(crate) async fn every_server_function_is_allowed_exactly_for_the_roles_its_need_admits(
    app: TestApp,
) {
    let mut callers = members_of_alpha(&app).await;
    callers.push((Principal::Superadmin, app.superadmin().await));
    callers.push((Principal::Anonymous, app.client("admin.localhost")));
    let form = matrix_form();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    paths.sort();
    for path in paths {
        let need = needs::need_of(&path).expect("declared (see the test above)");
        if need == Need::Anyone {
            continue; // sign-in, sign-out and the page context: nothing to refuse
        }
        for (who, client) in callers.iter_mut() {
            let res = client.post_form(&path, &form).await;
            let what = format!("{path} on {}", client.host);
            // A tenant's member on the console, or a superadmin on a tenant
            // host, is nobody there.
            let who = match (*who, client.host.as_str()) {
                (Principal::Member(_), "admin.localhost") => Principal::Anonymous,
                (w, _) => w,
            };
            let on_console = client.host == "admin.localhost";
            let wrong_host = !need.fits_host(on_console);
            if wrong_host {
                assert!(
                    refused(res.status),
                    "{what} allowed on the wrong host: {}",
                    res.status
                );
            } else {
                judge(&what, need, who, res.status, &res.text);
            }
        }
    }
}

pub(crate) async fn every_api_route_is_allowed_exactly_for_the_roles_its_need_admits(app: TestApp) {
    let mut callers = members_of_alpha(&app).await;
    let mut token_caller = None;
    // API keys of each role a key may have, and a token issued for one.
    for role in [Role::Admin, Role::Member, Role::Viewer] {
        let secret = app.api_key("alpha", role.as_str()).await;
        let mut client = app.bearer_client("alpha.localhost", &secret);
        if role == Role::Member {
            let res = client.post_json("/api/v1/token", json!({})).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            let token = res.json()["token"]["access_token"]
                .as_str()
                .expect("token")
                .to_owned();
            token_caller = Some(callers.len());
            callers.push((
                Principal::Member(role),
                app.bearer_client("alpha.localhost", &token),
            ));
        }
        callers.push((Principal::Member(role), client));
    }
    let body = json!({"name": "matrix", "title": "matrix", "role": "viewer"});
    for route in tenantry_server::api::table() {
        if route.need == Need::Anyone {
            continue;
        }
        let path = route
            .path
            .replace("{id}", &uuid::Uuid::new_v4().to_string());
        for (n, (who, client)) in callers.iter_mut().enumerate() {
            let res = client.json_request(route.method, &path, body.clone()).await;
            let what = format!("{} {} as {who:?}", route.method, route.path);
            if route.path == "/api/v1/token" && Some(n) == token_caller {
                // A token is never exchanged for another, whatever its role.
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {}", res.text);
                continue;
            }
            judge(&what, route.need, *who, res.status, &res.text);
        }
    }
}
