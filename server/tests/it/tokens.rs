//! Platform tokens die with what issued them (issue 18, point 1): a token is
//! never exchanged for another; a member's token ends with its session, a
//! role change or the member's removal; one issued in a support session is
//! audited under both identities and ends with the impersonation. Sessions
//! expire after a week without use, not a week after sign-in (point 2).

use crate::harness::{Client, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use tenantry::entities::catalog::session;
use tenantry::identity::members::{self, NewMember};
use tenantry_app::features::console::api::Impersonate;
use tenantry_app::features::members::api::{ChangeRole, RemoveMember};
use tenantry_app::features::session::api::Logout;
use tenantry_app::features::tenant_audit::api::ListTenantAudit;

on_both_backends!(
    a_token_is_never_exchanged_for_another_token,
    a_members_token_ends_with_its_session_a_role_change_and_removal,
    a_token_from_a_support_session_is_audited_as_one_and_ends_with_it,
    a_session_in_use_moves_its_expiry_at_most_every_few_minutes,
);

async fn token_of(client: &mut Client) -> String {
    let res = client.post_json("/api/v1/token", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()["token"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn status_with(app: &TestApp, token: &str) -> StatusCode {
    let mut client = app.bearer_client("alpha.localhost", token);
    client.get("/api/v1/projects").await.status
}

async fn member(app: &TestApp, email: &str, role: &str) -> String {
    let ctx = app.ctx("alpha").await;
    let db = ctx.db().await.expect("db");
    let new = NewMember::parse(email, "", PASSWORD, role).expect("member");
    let created = members::create(&db, new).await.expect("created");
    db.commit().await.expect("commit");
    created.id.to_string()
}

async fn a_token_is_never_exchanged_for_another_token(app: TestApp) {
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let from_session = token_of(&mut owner).await;
    let key = app.api_key("alpha", "admin").await;
    let from_key = token_of(&mut app.bearer_client("alpha.localhost", &key)).await;
    for token in [&from_session, &from_key] {
        let mut by_token = app.bearer_client("alpha.localhost", token);
        // The token itself works...
        assert_eq!(
            by_token.get("/api/v1/projects").await.status,
            StatusCode::OK
        );
        // ...but cannot mint its successor.
        let res = by_token.post_json("/api/v1/token", json!({})).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
        assert_eq!(
            res.json()["error"]["code"],
            "token_for_token",
            "{}",
            res.text
        );
    }
}

async fn a_members_token_ends_with_its_session_a_role_change_and_removal(app: TestApp) {
    app.tenant("alpha").await;
    let bob_id = member(&app, "bob@alpha.test", "admin").await;
    let mut owner = app.owner_client("alpha").await;

    // Signing out ends the session's tokens.
    let mut bob = app.owner_client_as("alpha", "bob@alpha.test").await;
    let token = token_of(&mut bob).await;
    assert_eq!(status_with(&app, &token).await, StatusCode::OK);
    bob.server_fn::<Logout>(&[]).await;
    assert_eq!(status_with(&app, &token).await, StatusCode::UNAUTHORIZED);

    // A role change ends them; the session itself goes on with the new role.
    let mut bob = app.owner_client_as("alpha", "bob@alpha.test").await;
    let token = token_of(&mut bob).await;
    let res = owner
        .server_fn::<ChangeRole>(&[("user_id", &bob_id), ("role", "member")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(status_with(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(bob.get("/api/v1/projects").await.status, StatusCode::OK);
    let token = token_of(&mut bob).await;
    assert_eq!(status_with(&app, &token).await, StatusCode::OK);

    // Removal ends the tokens and the sessions.
    let res = owner
        .server_fn::<RemoveMember>(&[("user_id", &bob_id)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(status_with(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bob.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );

    // Each change is in the tenant's audit log, with its actor.
    let audit = owner.server_fn::<ListTenantAudit>(&[]).await.json();
    let rows = audit["rows"].as_array().expect("rows");
    let by_owner = |action: &str, detail: &str| {
        rows.iter().any(|r| {
            r["action"] == action
                && r["actor"] == "member:owner@alpha.test"
                && r["detail"] == detail
        })
    };
    assert!(
        by_owner("member.role_changed", "bob@alpha.test: admin -> member"),
        "{audit}"
    );
    assert!(
        by_owner("member.removed", "bob@alpha.test (member)"),
        "{audit}"
    );
}

async fn a_token_from_a_support_session_is_audited_as_one_and_ends_with_it(app: TestApp) {
    app.tenant("alpha").await;
    member(&app, "bob@alpha.test", "member").await;
    let mut root = app.superadmin().await;
    let res = root
        .server_fn::<Impersonate>(&[
            ("slug", "alpha"),
            ("email", "bob@alpha.test"),
            ("reason", "ticket 7: exports fail"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let url = res.json()["url"].as_str().expect("url").to_owned();
    let mut support = app.client("alpha.localhost");
    support
        .get(url::Url::parse(&url).expect("url").path())
        .await;
    let token = token_of(&mut support).await;

    let mut by_token = app.bearer_client("alpha.localhost", &token);
    let res = by_token
        .post_json("/api/v1/projects", json!({"name": "From a support token"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let mut owner = app.owner_client("alpha").await;
    let audit = owner.server_fn::<ListTenantAudit>(&[]).await.json();
    let both = "superadmin:root@platform.test as member:bob@alpha.test";
    assert!(
        audit["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["action"] == "impersonation.request"
                && r["actor"] == both
                && r["detail"] == "POST /api/v1/projects"),
        "{audit}"
    );

    // The impersonation runs out; its session row is still there, but the
    // token is refused all the same.
    crate::impersonation::run_out_the_first_impersonation(&app, "alpha").await;
    assert_eq!(status_with(&app, &token).await, StatusCode::UNAUTHORIZED);
}

/// The one signed-in session row of this test.
async fn session_row(app: &TestApp) -> session::Model {
    let rows = session::Entity::find()
        .all(app.engine.platform_tables())
        .await
        .expect("sessions");
    let mut signed_in: Vec<_> = rows.into_iter().filter(|r| r.subject.is_some()).collect();
    assert_eq!(signed_in.len(), 1);
    signed_in.remove(0)
}

async fn a_session_in_use_moves_its_expiry_at_most_every_few_minutes(app: TestApp) {
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let signed_in = session_row(&app).await;
    let week = chrono::Duration::days(tenantry::session::IDLE_DAYS);
    let near = |at: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| {
        (at - to).num_seconds().abs() < 60
    };
    assert!(near(signed_in.expires_at, chrono::Utc::now() + week));

    // Used again at once: nothing is written.
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);
    assert_eq!(session_row(&app).await, signed_in);

    // Six days on (the last touch long past, one day left), a request moves
    // the expiry a full week ahead of now.
    // Edited as text: the record's id is a 128-bit number that a JSON value
    // would round.
    let touched = |data: &str| -> i64 {
        let at = data.find("\"touched\":").expect("touched") + 10;
        let digits: String = data[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("seconds")
    };
    let was = touched(&signed_in.data);
    let six_days_ago = (chrono::Utc::now() - chrono::Duration::days(6)).timestamp();
    let data = signed_in.data.replace(
        &format!("\"touched\":{was}"),
        &format!("\"touched\":{six_days_ago}"),
    );
    let mut aged: session::ActiveModel = signed_in.clone().into();
    aged.data = Set(data);
    aged.expires_at = Set(chrono::Utc::now() + chrono::Duration::days(1));
    aged.update(app.engine.platform_tables())
        .await
        .expect("age");
    // Edited by hand, past the store: the session held in memory is dropped
    // as a notification would drop it (tests/it/session_cache.rs).
    app.engine.session_cache().clear();
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);
    let touched_row = session_row(&app).await;
    assert!(touched(&touched_row.data) > six_days_ago);
    let touched = touched_row;
    assert!(
        near(touched.expires_at, chrono::Utc::now() + week),
        "expiry moved to {}",
        touched.expires_at
    );

    // Left alone past its expiry, the session is gone.
    let mut idle: session::ActiveModel = touched.into();
    idle.expires_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
    idle.update(app.engine.platform_tables())
        .await
        .expect("idle");
    app.engine.session_cache().clear();
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
}
