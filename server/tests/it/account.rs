//! A member's own account through the router: their name, their password
//! (the current one asked, every other session ended), and the list of
//! their sessions with where each came from, each revocable — theirs only.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use std::net::SocketAddr;
use tenantry_app::features::account::api::{
    ChangeMyEmail, ChangeMyPassword, ConfirmEmailChange, MyAccount, RenameMe, RevokeMySession,
};
use tenantry_app::features::members::api::AddMember;

on_both_backends!(
    a_member_sees_where_they_are_signed_in_and_signs_another_session_out,
    a_password_change_asks_for_the_current_one_and_ends_every_other_session,
    a_member_renames_themselves,
    a_member_changes_their_address_once_the_new_one_proves_it,
);

/// The owner of `slug` signed in from `device` at `peer`.
async fn signed_in_from(app: &TestApp, slug: &str, device: &str, peer: &str) -> Client {
    let mut client = app.client(&format!("{slug}.localhost"));
    let body = serde_json::json!({ "email": format!("owner@{slug}.test"), "password": PASSWORD });
    let mut req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, format!("http://{slug}.localhost"))
        .header(header::USER_AGENT, device)
        .body(Body::from(body.to_string()))
        .expect("request");
    let addr: SocketAddr = peer.parse().expect("address");
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = client.send(req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    client
}

async fn account(client: &mut Client) -> serde_json::Value {
    let res = client.server_fn::<MyAccount>(&[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn a_member_sees_where_they_are_signed_in_and_signs_another_session_out(app: TestApp) {
    app.tenant("acme").await;
    app.tenant("bravo").await;
    let mut laptop = signed_in_from(&app, "acme", "Laptop/1.0", "203.0.113.5:4000").await;
    let mut phone = signed_in_from(&app, "acme", "Phone/2.0", "198.51.100.7:4000").await;
    let mut elsewhere = signed_in_from(&app, "bravo", "Bravo/1.0", "192.0.2.1:4000").await;

    let seen = account(&mut laptop).await;
    let sessions = seen["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2, "acme's owner only: {seen}");
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{seen}");
    assert_eq!(current[0]["device"], "Laptop/1.0");
    assert_eq!(current[0]["address"], "203.0.113.5");
    let other = sessions
        .iter()
        .find(|s| s["current"] == false)
        .expect("the phone");
    assert_eq!(other["device"], "Phone/2.0");
    assert_eq!(other["address"], "198.51.100.7");
    let phone_handle = other["handle"].as_str().expect("handle").to_owned();

    // Another tenant's member cannot name it, nor can a made-up handle.
    let bravo_sessions = account(&mut elsewhere).await;
    let bravo_handle = bravo_sessions["sessions"][0]["handle"]
        .as_str()
        .expect("handle")
        .to_owned();
    for handle in [
        phone_handle.as_str(),
        "00000000-0000-0000-0000-000000000000",
    ] {
        let res = elsewhere
            .server_fn::<RevokeMySession>(&[("handle", handle)])
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    }
    let res = laptop
        .server_fn::<RevokeMySession>(&[("handle", &bravo_handle)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert_eq!(
        phone.server_fn::<MyAccount>(&[]).await.status,
        StatusCode::OK
    );

    let res = laptop
        .server_fn::<RevokeMySession>(&[("handle", &phone_handle)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = phone.server_fn::<MyAccount>(&[]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    assert_eq!(
        account(&mut laptop).await["sessions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        account(&mut elsewhere).await["sessions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Anonymous callers have no account.
    let mut anonymous = app.client("acme.localhost");
    let res = anonymous.server_fn::<MyAccount>(&[]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
}

async fn a_password_change_asks_for_the_current_one_and_ends_every_other_session(app: TestApp) {
    app.tenant("acme").await;
    let mut here = signed_in_from(&app, "acme", "Here/1.0", "203.0.113.5:4000").await;
    let mut there = signed_in_from(&app, "acme", "There/1.0", "203.0.113.6:4000").await;
    let new_password = "an entirely new passphrase";

    let wrong = here
        .server_fn::<ChangeMyPassword>(&[
            ("current_password", "not the password at all"),
            ("new_password", new_password),
        ])
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    assert_eq!(wrong.json()["field"], "current_password");
    let weak = here
        .server_fn::<ChangeMyPassword>(&[("current_password", PASSWORD), ("new_password", "short")])
        .await;
    assert_eq!(weak.json()["field"], "new_password", "{}", weak.text);
    assert_eq!(
        there.server_fn::<MyAccount>(&[]).await.status,
        StatusCode::OK
    );

    let changed = here
        .server_fn::<ChangeMyPassword>(&[
            ("current_password", PASSWORD),
            ("new_password", new_password),
        ])
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json(), 1, "one other session ended");
    assert_eq!(
        account(&mut here).await["sessions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let res = there.server_fn::<MyAccount>(&[]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    // The old password no longer signs in; the new one does.
    let mut again = app.client("acme.localhost");
    let old = again
        .post_json(
            "/api/v1/session",
            serde_json::json!({"email": "owner@acme.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = again
        .post_json(
            "/api/v1/session",
            serde_json::json!({"email": "owner@acme.test", "password": new_password}),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text);
}

async fn a_member_renames_themselves(app: TestApp) {
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    let empty = owner.server_fn::<RenameMe>(&[("display_name", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.json()["field"], "display_name");
    let res = owner
        .server_fn::<RenameMe>(&[("display_name", "Ada Lovelace")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(account(&mut owner).await["display_name"], "Ada Lovelace");
    let page = owner.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
}

async fn a_member_changes_their_address_once_the_new_one_proves_it(app: TestApp) {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let app = app
        .with_router_settings(&[("smtp_url", sink.url.as_str())])
        .await;
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    let res = owner
        .server_fn::<AddMember>(&[
            ("email", "ann@acme.test"),
            ("display_name", ""),
            ("password", PASSWORD),
            ("role", "member"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let ask = |new: &'static str, password: &'static str| {
        [("new_email", new), ("current_password", password)]
    };
    for (form, status, field) in [
        (
            ask("not an address", PASSWORD),
            StatusCode::UNPROCESSABLE_ENTITY,
            "new_email",
        ),
        (
            ask("boss@acme.test", "wrong password"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "current_password",
        ),
        (
            ask("ann@acme.test", PASSWORD),
            StatusCode::CONFLICT,
            "new_email",
        ),
    ] {
        let res = owner.server_fn::<ChangeMyEmail>(&form).await;
        assert_eq!(res.status, status, "{form:?}: {}", res.text);
        assert_eq!(res.json()["field"], field, "{form:?}");
    }
    let res = owner
        .server_fn::<ChangeMyEmail>(&ask("boss@acme.test", PASSWORD))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Nothing changes until the new address proves itself.
    assert_eq!(account(&mut owner).await["email"], "owner@acme.test");
    crate::harness::run_due_jobs(&app.engine).await;
    let notice = sink.wait_for("owner@acme.test", "boss@acme.test").await;
    assert!(
        notice.token_after("/account/email/").is_none(),
        "no link to the old address"
    );
    let mail = sink.wait_for("boss@acme.test", "/account/email/").await;
    let token = mail.token_after("/account/email/").expect("a token");

    // The link belongs to acme: on another tenant's host it is not found.
    app.tenant("bravo").await;
    let mut elsewhere = app.client("bravo.localhost");
    let res = elsewhere
        .server_fn::<ConfirmEmailChange>(&[("token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);

    let mut anyone = app.client("acme.localhost");
    let res = anyone
        .server_fn::<ConfirmEmailChange>(&[("token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), "boss@acme.test");
    let again = anyone
        .server_fn::<ConfirmEmailChange>(&[("token", &token)])
        .await;
    assert_eq!(
        again.status,
        StatusCode::NOT_FOUND,
        "single use: {}",
        again.text
    );
    assert_eq!(account(&mut owner).await["email"], "boss@acme.test");
    // Signing in takes the new address, not the old.
    app.owner_client_as("acme", "boss@acme.test").await;
    let old = app
        .client("acme.localhost")
        .post_json(
            "/api/v1/session",
            serde_json::json!({"email": "owner@acme.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.text);
}
