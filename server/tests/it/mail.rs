//! Email, invitations and password reset, end to end through the router and
//! a real SMTP server (aiosmtpd) that the tests read; and the dev mailbox
//! when no SMTP server is configured.
//!
//! About 500 lines, one scenario per test: mail scenarios against the SMTP
//! sink, sharing its setup.

use crate::harness::{TestApp, PASSWORD};
use crate::on_both_backends;
use crate::smtp_sink::SmtpSink;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tenantry::entities::tenant::{invitation, mail_message};
use tenantry::mail::outbox;
use tenantry_app::features::console::api::ListMailbox;
use tenantry_app::features::invitations::api::{
    AcceptInvitation, InvitationOffer, InviteMember, RequestPasswordReset, ResendInvitation,
    ResetPassword, RevokeInvitation,
};
use tenantry_app::features::members::api::{AddMember, ListMembers, SendVerification, VerifyEmail};

on_both_backends!(
    an_invitation_is_mailed_in_the_tenants_brand_and_creates_the_account_on_that_tenant_only,
    resending_replaces_the_link_and_revoked_or_expired_links_do_not_work,
    password_reset_answers_alike_for_everyone_works_once_and_ends_every_session,
    without_smtp_mail_is_kept_in_the_dev_mailbox_on_the_console,
    failed_deliveries_are_retried_and_finally_marked_failed,
    a_member_added_by_an_admin_verifies_their_address_by_link,
    mailed_links_use_the_tenants_configured_host_never_the_requests,
    a_tenant_created_without_a_password_invites_its_owner,
);

/// `app` with its mail going to `sink`.
async fn with_smtp(app: TestApp, sink: &SmtpSink) -> TestApp {
    app.with_router_settings(&[("smtp_url", sink.url.as_str())])
        .await
}

/// Runs the due mail jobs; how many messages they sent.
async fn deliver(app: &TestApp) -> usize {
    let sent = async || {
        outbox::recent(&app.engine, 10_000)
            .await
            .expect("messages")
            .into_iter()
            .filter(|m| m.state == outbox::SENT)
            .count()
    };
    let before = sent().await;
    crate::harness::run_due_jobs(&app.engine).await;
    sent().await - before
}

async fn invite(app: &TestApp, slug: &str, email: &str, role: &str) -> serde_json::Value {
    let mut owner = app.owner_client(slug).await;
    let res = owner
        .server_fn::<InviteMember>(&[("email", email), ("role", role)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn an_invitation_is_mailed_in_the_tenants_brand_and_creates_the_account_on_that_tenant_only(
    app: TestApp,
) {
    let sink = SmtpSink::start().await;
    let app = with_smtp(app, &sink).await;
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let sent = invite(&app, "alpha", "bob@example.com", "viewer").await;
    assert_eq!(sent["state"], "pending");
    assert_eq!(deliver(&app).await, 1);
    let mail = sink.wait_for("bob@example.com", "/invite/").await;
    let token = mail.token_after("/invite/").expect("a link with a token");
    let raw = mail.joined();
    assert!(
        raw.contains("alpha Inc"),
        "the tenant's name is the sender: {raw}"
    );
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(
        raw.contains("text/plain") && raw.contains("text/html"),
        "{raw}"
    );
    assert!(raw.contains("http://alpha.localhost/invite/"), "{raw}");
    // Delivered bodies are not kept (they hold the link).
    let db = app.ctx("alpha").await.read().await.expect("db");
    let rows = mail_message::Entity::find().all(&db).await.expect("rows");
    db.commit().await.expect("commit");
    assert!(rows
        .iter()
        .all(|m| m.state == "sent" && !m.text_body.contains(&token)));

    // The link means nothing on another tenant's host.
    let mut on_bravo = app.client("bravo.localhost");
    let res = on_bravo
        .server_fn::<InvitationOffer>(&[("token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let accept = [
        ("token", token.as_str()),
        ("display_name", "Bob"),
        ("password", PASSWORD),
    ];
    let res = on_bravo.server_fn::<AcceptInvitation>(&accept).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);

    let mut on_alpha = app.client("alpha.localhost");
    let res = on_alpha
        .server_fn::<InvitationOffer>(&[("token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["role"], "viewer");
    // The password policy applies, and a refusal uses nothing up.
    let weak = [
        ("token", token.as_str()),
        ("display_name", "Bob"),
        ("password", "password1"),
    ];
    let res = on_alpha.server_fn::<AcceptInvitation>(&weak).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let res = on_alpha.server_fn::<AcceptInvitation>(&accept).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Single use.
    let res = on_alpha.server_fn::<AcceptInvitation>(&accept).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);

    let mut bob = app.owner_client_as("alpha", "bob@example.com").await;
    let res = bob
        .post_json("/api/v1/projects", json!({"name": "x"}))
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "a viewer, as invited: {}",
        res.text
    );
    let mut elsewhere = app.client("bravo.localhost");
    let res = elsewhere
        .post_json(
            "/api/v1/session",
            json!({"email": "bob@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let mut owner = app.owner_client("alpha").await;
    let list = owner
        .server_fn::<tenantry_app::features::invitations::api::ListInvitations>(&[])
        .await;
    assert_eq!(list.json()[0]["state"], "accepted");
}

async fn resending_replaces_the_link_and_revoked_or_expired_links_do_not_work(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = with_smtp(app, &sink).await;
    app.tenant("alpha").await;
    let sent = invite(&app, "alpha", "carol@example.com", "member").await;
    let id = sent["id"].as_str().expect("id").to_owned();
    deliver(&app).await;
    let first = sink.wait_for("carol@example.com", "/invite/").await;
    let old = first.token_after("/invite/").expect("token");
    let mut owner = app.owner_client("alpha").await;
    let res = owner
        .server_fn::<ResendInvitation>(&[("invitation_id", &id)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    deliver(&app).await;
    let mut anon = app.client("alpha.localhost");
    let res = anon.server_fn::<InvitationOffer>(&[("token", &old)]).await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "the old link stopped working"
    );
    let fresh = sink
        .received()
        .into_iter()
        .filter_map(|m| m.token_after("/invite/"))
        .find(|t| *t != old)
        .expect("a second mail with a new link");
    let res = anon
        .server_fn::<InvitationOffer>(&[("token", &fresh)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // Expired: the link answers that it expired.
    let alpha = app.ctx("alpha").await;
    let db = alpha.db().await.expect("db");
    let row = invitation::Entity::find()
        .filter(invitation::Column::Id.eq(uuid::Uuid::parse_str(&id).expect("uuid")))
        .one(&db)
        .await
        .expect("row")
        .expect("found");
    let mut active: invitation::ActiveModel = row.clone().into();
    active.expires_at = sea_orm::Set(chrono::Utc::now() - chrono::Duration::minutes(1));
    sea_orm::ActiveModelTrait::update(active, &db)
        .await
        .expect("expire");
    db.commit().await.expect("commit");
    let res = anon
        .server_fn::<InvitationOffer>(&[("token", &fresh)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(res.text.contains("expired"), "{}", res.text);
    let db = alpha.db().await.expect("db");
    let mut active: invitation::ActiveModel = row.into();
    active.expires_at = sea_orm::Set(chrono::Utc::now() + chrono::Duration::hours(1));
    sea_orm::ActiveModelTrait::update(active, &db)
        .await
        .expect("renew");
    db.commit().await.expect("commit");

    // Revoked: not found, and accepting creates nothing.
    let res = owner
        .server_fn::<RevokeInvitation>(&[("invitation_id", &id)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["state"], "revoked");
    let accept = [
        ("token", fresh.as_str()),
        ("display_name", "C"),
        ("password", PASSWORD),
    ];
    let res = anon.server_fn::<AcceptInvitation>(&accept).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let mut carol = app.client("alpha.localhost");
    let res = carol
        .post_json(
            "/api/v1/session",
            json!({"email": "carol@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

async fn password_reset_answers_alike_for_everyone_works_once_and_ends_every_session(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = with_smtp(app, &sink).await;
    app.tenant("alpha").await;
    let mut signed_in = app.owner_client("alpha").await;
    assert_eq!(
        signed_in.get("/api/v1/projects").await.status,
        StatusCode::OK
    );
    let res = signed_in.post_json("/api/v1/token", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let token = res.json()["token"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mut by_token = app.bearer_client("alpha.localhost", &token);

    let mut anon = app.client("alpha.localhost");
    let known = anon
        .server_fn::<RequestPasswordReset>(&[("email", "owner@alpha.test")])
        .await;
    let unknown = anon
        .server_fn::<RequestPasswordReset>(&[("email", "nobody@alpha.test")])
        .await;
    assert_eq!((known.status, &known.text), (unknown.status, &unknown.text));
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(deliver(&app).await, 1, "only the real account gets mail");
    let mail = sink.wait_for("owner@alpha.test", "/reset/").await;
    let token = mail.token_after("/reset/").expect("token");

    let weak = [("token", token.as_str()), ("password", "Password2026!")];
    let res = anon.server_fn::<ResetPassword>(&weak).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let new_password = "a brand new passphrase";
    let good = [("token", token.as_str()), ("password", new_password)];
    let res = anon.server_fn::<ResetPassword>(&good).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Used up; every earlier session is gone; only the new password works.
    let res = anon.server_fn::<ResetPassword>(&good).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert_eq!(
        signed_in.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    // So is every token those sessions issued.
    assert_eq!(
        by_token.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut old = app.client("alpha.localhost");
    let res = old
        .post_json(
            "/api/v1/session",
            json!({"email": "owner@alpha.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = old
        .post_json(
            "/api/v1/session",
            json!({"email": "owner@alpha.test", "password": new_password}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // The link never worked on another tenant's host either.
    app.tenant("bravo").await;
    let mut bravo = app.client("bravo.localhost");
    let res = bravo.server_fn::<ResetPassword>(&good).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

async fn without_smtp_mail_is_kept_in_the_dev_mailbox_on_the_console(app: TestApp) {
    app.tenant("alpha").await;
    invite(&app, "alpha", "dana@example.com", "member").await;
    let mut root = app.superadmin().await;
    let res = root.server_fn::<ListMailbox>(&[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let first = &res.json()[0];
    assert_eq!(first["to"], "dana@example.com");
    assert_eq!(first["state"], "mailbox");
    assert!(first["text"]
        .as_str()
        .expect("text")
        .contains("http://alpha.localhost/invite/"));
    // Tenants cannot read it.
    let mut owner = app.owner_client("alpha").await;
    let res = owner.server_fn::<ListMailbox>(&[]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
}

async fn failed_deliveries_are_retried_and_finally_marked_failed(app: TestApp) {
    // A port nothing listens on.
    let port = crate::peer::free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = app
        .with_router_settings(&[
            ("smtp_url", url.as_str()),
            ("mail_max_attempts", "2"),
            ("mail_retry_base_secs", "1"),
        ])
        .await;
    let alpha = app.tenant("alpha").await;
    invite(&app, "alpha", "erin@example.com", "member").await;
    let state = || async {
        let db = alpha.read().await.expect("db");
        let rows = mail_message::Entity::find().all(&db).await.expect("rows");
        db.commit().await.expect("commit");
        (
            rows[0].state.clone(),
            rows[0].attempts,
            rows[0].last_error.clone(),
        )
    };
    assert_eq!(deliver(&app).await, 0);
    let (s, attempts, error) = state().await;
    assert_eq!((s.as_str(), attempts), ("queued", 1));
    assert!(error.is_some_and(|e| e.starts_with("SMTP")));
    // The retry is due a second (and up to a tenth more) later.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(deliver(&app).await, 0);
    let (s, attempts, _) = state().await;
    assert_eq!((s.as_str(), attempts), ("failed", 2));
    // The metrics counted one retried attempt and one that gave up.
    let metrics = app.engine.observer().render();
    let tenant = alpha.id().to_string();
    for outcome in ["retried", "failed"] {
        let labels = [("outcome", outcome), ("tenant", tenant.as_str())];
        let counted =
            crate::observability::sample(&metrics, "tenantry_mail_deliveries_total", &labels);
        assert_eq!(counted, 1.0, "{outcome}: {metrics}");
    }
}

fn verified_of(members: &serde_json::Value, email: &str) -> (String, bool) {
    let m = members
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {members}"));
    (
        m["id"].as_str().expect("id").to_owned(),
        m["verified"].as_bool().expect("verified"),
    )
}

async fn a_member_added_by_an_admin_verifies_their_address_by_link(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = with_smtp(app, &sink).await;
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let mut owner = app.owner_client("alpha").await;
    let res = owner
        .server_fn::<AddMember>(&[
            ("email", "vera@example.com"),
            ("display_name", ""),
            ("password", PASSWORD),
            ("role", "member"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["verified"], false);
    deliver(&app).await;
    let token = sink
        .wait_for("vera@example.com", "/verify/")
        .await
        .token_after("/verify/")
        .expect("token");
    let members = owner.server_fn::<ListMembers>(&[]).await.json();
    assert!(!verified_of(&members, "vera@example.com").1);

    let mut on_bravo = app.client("bravo.localhost");
    let res = on_bravo
        .server_fn::<VerifyEmail>(&[("token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let mut anon = app.client("alpha.localhost");
    let res = anon.server_fn::<VerifyEmail>(&[("token", &token)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), "vera@example.com");
    let res = anon.server_fn::<VerifyEmail>(&[("token", &token)]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "single use");
    let members = owner.server_fn::<ListMembers>(&[]).await.json();
    assert!(verified_of(&members, "vera@example.com").1);

    // The owner made with the tenant is unverified until a link is used.
    let (owner_id, verified) = verified_of(&members, "owner@alpha.test");
    assert!(!verified);
    let res = owner
        .server_fn::<SendVerification>(&[("user_id", &owner_id)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    deliver(&app).await;
    sink.wait_for("owner@alpha.test", "/verify/").await;
}

/// Issue 18, point 11: a reset requested through any `Host` that resolves to
/// the tenant (here with a port of the requester's choosing) is mailed with
/// the tenant's configured address; `public_port` is the only port a link
/// carries.
async fn mailed_links_use_the_tenants_configured_host_never_the_requests(app: TestApp) {
    let sink = SmtpSink::start().await;
    let mut app = with_smtp(app, &sink).await;
    app.tenant("alpha").await;
    for (public_port, origin) in [
        (None, "http://alpha.localhost/reset/"),
        (Some("8443"), "http://alpha.localhost:8443/reset/"),
    ] {
        if let Some(port) = public_port {
            app = app
                .with_router_settings(&[("smtp_url", sink.url.as_str()), ("public_port", port)])
                .await;
        }
        let mut spoofed = app.client("alpha.localhost:6666");
        let res = spoofed
            .server_fn::<RequestPasswordReset>(&[("email", "owner@alpha.test")])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(deliver(&app).await, 1);
        let mail = sink.wait_for("owner@alpha.test", origin).await;
        assert!(!mail.joined().contains(":6666"), "{}", mail.joined());
    }
}

/// Issue 19: a tenant created without a password starts with its owner
/// invited (the pool on PostgreSQL in one transaction, the other placements
/// step by step); the owner sets a password through the mailed link and
/// holds the owner's role. Nobody can sign in before that.
async fn a_tenant_created_without_a_password_invites_its_owner(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = with_smtp(app, &sink).await;
    let input = tenantry::catalog::tenants::NewTenant {
        slug: "invited".into(),
        name: "Invited Inc".into(),
        admin_email: "founder@invited.test".into(),
        ..Default::default()
    };
    let created = tenantry::lifecycle::create(&app.engine, input, "test")
        .await
        .expect("created without a password");
    assert_eq!(created.state.as_str(), "active");
    let mut visitor = app.client("invited.localhost");
    for password in ["", PASSWORD] {
        let res = visitor
            .post_json(
                "/api/v1/session",
                json!({"email": "founder@invited.test", "password": password}),
            )
            .await;
        assert_ne!(
            res.status,
            StatusCode::OK,
            "no account before the invitation is accepted"
        );
    }
    assert_eq!(deliver(&app).await, 1, "the owner's invitation was queued");
    let mail = sink.wait_for("founder@invited.test", "/invite/").await;
    assert!(mail.joined().contains("http://invited.localhost/invite/"));
    let token = mail.token_after("/invite/").expect("a link with a token");
    let offer = visitor
        .server_fn::<InvitationOffer>(&[("token", &token)])
        .await;
    assert_eq!(offer.status, StatusCode::OK, "{}", offer.text);
    assert_eq!(offer.json()["role"], "owner");
    let accept = [
        ("token", token.as_str()),
        ("display_name", "Founder"),
        ("password", PASSWORD),
    ];
    let res = visitor.server_fn::<AcceptInvitation>(&accept).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut owner = app.owner_client_as("invited", "founder@invited.test").await;
    let res = owner.server_fn::<ListMembers>(&[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(
        res.text.contains("founder@invited.test") && res.text.contains("owner"),
        "{}",
        res.text
    );
}
