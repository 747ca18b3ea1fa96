//! Account protection at sign-in: failed attempts throttle the account (the
//! same answer whether or not it exists) and the client address, only
//! failures count, and common passwords are refused when set.

use crate::harness::{Client, Reply, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use std::net::SocketAddr;
use tenantry_app::features::members::api::AddMember;
use tenantry_app::features::session::api::SignIn;

on_both_backends!(repeated_failures_throttle_the_account_alike_whether_or_not_it_exists);

async fn sign_in(client: &mut Client, email: &str, password: &str) -> Reply {
    client
        .post_json(
            "/api/v1/session",
            json!({ "email": email, "password": password }),
        )
        .await
}

async fn repeated_failures_throttle_the_account_alike_whether_or_not_it_exists(app: TestApp) {
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let mut owner = app.owner_client("alpha").await;
    // Setting a common password is refused, naming the field.
    let weak = owner
        .server_fn::<AddMember>(&[
            ("email", "weak@alpha.test"),
            ("display_name", ""),
            ("password", "Password2026!"),
            ("role", "member"),
        ])
        .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        weak.text
    );
    assert_eq!(weak.json()["field"], "password");
    let added = owner
        .server_fn::<AddMember>(&[
            ("email", "second@alpha.test"),
            ("display_name", ""),
            ("password", PASSWORD),
            ("role", "member"),
        ])
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);

    // Successes do not count.
    for _ in 0..8 {
        assert_eq!(
            sign_in(
                &mut app.client("alpha.localhost"),
                "owner@alpha.test",
                PASSWORD
            )
            .await
            .status,
            StatusCode::OK
        );
    }
    let mut client = app.client("alpha.localhost");
    let mut bodies = Vec::new();
    for email in ["owner@alpha.test", "ghost@alpha.test"] {
        for _ in 0..5 {
            let res = sign_in(&mut client, email, "wrong password!").await;
            assert_eq!(
                res.status,
                StatusCode::UNAUTHORIZED,
                "{email}: {}",
                res.text
            );
        }
        // Now even the right password is refused until the window refills.
        let res = sign_in(&mut client, email, PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{email}: {}",
            res.text
        );
        assert_eq!(res.json()["error"]["code"], "too_many_attempts");
        bodies.push(res.json()["error"]["code"].clone());
    }
    assert_eq!(
        bodies[0], bodies[1],
        "the same answer for a real and an unknown account"
    );
    // Other accounts, and the same address on another tenant, are untouched.
    assert_eq!(
        sign_in(&mut client, "second@alpha.test", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    let mut bravo = app.client("bravo.localhost");
    assert_eq!(
        sign_in(&mut bravo, "owner@bravo.test", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );

    // The console throttles its accounts the same way.
    let mut console = app.superadmin().await.on_host("admin.localhost");
    console.cookie = None;
    for _ in 0..5 {
        let res = console
            .server_fn::<SignIn>(&[
                ("email", "root@platform.test"),
                ("password", "wrong password!"),
            ])
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    }
    let res = console
        .server_fn::<SignIn>(&[("email", "root@platform.test"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
}

/// A sign-in request as if from `peer` (what the server's listener records).
async fn from(
    client: &mut Client,
    peer: &str,
    email: &str,
    password: &str,
    forwarded: &str,
) -> Reply {
    let mut req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, format!("http://{}", client.host))
        .header("x-forwarded-for", forwarded)
        .body(Body::from(
            json!({ "email": email, "password": password }).to_string(),
        ))
        .expect("request");
    let addr: SocketAddr = peer.parse().expect("address");
    req.extensions_mut().insert(ConnectInfo(addr));
    client.send(req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_from_one_address_throttle_it_across_accounts_and_forwarded_headers_do_not_help() {
    let app = TestApp::sqlite_with(&[("signin_attempts_per_ip", "3")]).await;
    app.tenant("alpha").await;
    let mut client = app.client("alpha.localhost");
    for n in 0..3 {
        let res = from(
            &mut client,
            "203.0.113.7:5000",
            &format!("user{n}@alpha.test"),
            "wrong password!",
            "198.51.100.1",
        )
        .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    }
    // The right password for a fresh account, from the same address, claiming
    // to be someone else: refused (the peer is not a trusted proxy).
    let res = from(
        &mut client,
        "203.0.113.7:5001",
        "owner@alpha.test",
        PASSWORD,
        "198.51.100.99",
    )
    .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    let res = from(
        &mut client,
        "203.0.113.8:5000",
        "owner@alpha.test",
        PASSWORD,
        "203.0.113.7",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "another address: {}", res.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_range_the_client_is_the_nearest_untrusted_hop() {
    let app = TestApp::sqlite_with(&[
        ("signin_attempts_per_ip", "3"),
        ("trusted_proxies", "[\"127.0.0.0/8\"]"),
    ])
    .await;
    app.tenant("alpha").await;
    let mut client = app.client("alpha.localhost");
    // One client behind the proxy range, writing a new address on the left
    // of each request: it is still one address, and it is throttled.
    for n in 0..3 {
        let res = from(
            &mut client,
            "127.0.0.1:5000",
            &format!("user{n}@alpha.test"),
            "wrong password!",
            &format!("198.51.100.{n}, 203.0.113.7, 127.0.0.9"),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    }
    let res = from(
        &mut client,
        "127.0.0.2:5000",
        "owner@alpha.test",
        PASSWORD,
        "198.51.100.77, 203.0.113.7",
    )
    .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    // Another client behind the same proxies is not.
    let res = from(
        &mut client,
        "127.0.0.1:5001",
        "owner@alpha.test",
        PASSWORD,
        "203.0.113.8",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "another address: {}", res.text);
}
