//! Self-serve signup through the router on the base host (`localhost` in
//! the tests), the confirmation mailed through a real SMTP server (aiosmtpd)
//! and opened on the new tenant's host, the first-run checklist, abuse
//! controls, lapsing, and the units made ahead for placements that need DDL.

use crate::harness::{Client, Reply, TestApp};
use crate::on_both_backends;
use crate::smtp_sink::SmtpSink;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::net::SocketAddr;
use tenantry::entities::catalog::{tenant, warm_unit};
use tenantry::lifecycle::{signup, warm_units};
use tenantry::tenancy::{Placement, Slug, TenantState};
use tenantry_app::features::console::api::InviteSignup;
use tenantry_app::features::members::api::ListMembers;
use tenantry_app::features::signup::api::{CheckSlug, FirstRun, SignUp, SignupOptions};

on_both_backends!(
    a_signup_opens_its_tenant_when_the_owner_confirms_and_lands_them_on_the_first_steps,
    bad_taken_or_reserved_input_is_refused_by_field_and_writes_nothing,
    the_base_host_serves_signup_and_nothing_else,
    an_unconfirmed_signup_lapses_and_frees_its_slug,
    where_signup_is_by_invitation_only_the_invited_address_signs_up_once,
);

const OWNER: &str = "founder@acme.test";
const PASSWORD: &str = "a long enough passphrase";

fn form<'a>(slug: &'a str, email: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", "Acme Rockets"),
        ("slug", slug),
        ("email", email),
        ("password", PASSWORD),
        ("plan", ""),
        ("invite", ""),
    ]
}

async fn sign_up(site: &mut Client, slug: &str, email: &str) -> Reply {
    site.server_fn::<SignUp>(&form(slug, email)).await
}

async fn tenant_count(app: &TestApp) -> u64 {
    tenant::Entity::find()
        .count(app.engine.platform_tables())
        .await
        .expect("count")
}

async fn state_of(app: &TestApp, slug: &str) -> Option<TenantState> {
    let slug = Slug::parse(slug).expect("slug");
    app.engine
        .record_by_slug(&slug)
        .await
        .expect("record")
        .map(|r| r.state)
}

/// Signs `slug` up, sends its mail and answers the confirmation token.
async fn signed_up(app: &TestApp, sink: &SmtpSink, slug: &str, email: &str) -> String {
    let mut site = app.client("localhost");
    let res = sign_up(&mut site, slug, email).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    crate::harness::run_due_jobs(&app.engine).await;
    let mail = sink.wait_for(email, "/signup/confirm/").await;
    mail.token_after("/signup/confirm/").expect("a token")
}

async fn a_signup_opens_its_tenant_when_the_owner_confirms_and_lands_them_on_the_first_steps(
    app: TestApp,
) {
    let sink = SmtpSink::start().await;
    let app = app
        .with_router_settings(&[("smtp_url", sink.url.as_str())])
        .await;
    let mut site = app.client("localhost");
    let page = site.get("/signup").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let options = site.server_fn::<SignupOptions>(&[]).await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.text);
    assert_eq!(options.json()["open"], true);
    let free = site.server_fn::<CheckSlug>(&[("slug", "acme")]).await;
    assert_eq!(free.status, StatusCode::OK, "{}", free.text);
    assert_eq!(free.json(), "acme.localhost");

    let res = sign_up(&mut site, "acme", OWNER).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["email"], OWNER);
    assert_eq!(state_of(&app, "acme").await, Some(TenantState::Pending));
    // Pending: nothing of it is served, and its address is taken.
    let mut acme = app.client("acme.localhost");
    assert_eq!(acme.get("/login").await.status, StatusCode::NOT_FOUND);
    assert_eq!(acme.get("/").await.status, StatusCode::NOT_FOUND);
    let taken = site.server_fn::<CheckSlug>(&[("slug", "acme")]).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);

    // The confirmation goes out in the tenant's name, to its own host.
    crate::harness::run_due_jobs(&app.engine).await;
    let mail = sink.wait_for(OWNER, "/signup/confirm/").await;
    assert!(
        mail.joined().contains("http://acme.localhost"),
        "{}",
        mail.joined()
    );
    let token = mail.token_after("/signup/confirm/").expect("a token");
    // Another tenant's host does not know the link.
    let other = signed_up(&app, &sink, "bravo", "someone@bravo.test").await;
    let wrong = acme.get(&format!("/signup/confirm/{other}")).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);

    let landed = acme.get(&format!("/signup/confirm/{token}")).await;
    assert!(
        landed.status.is_redirection(),
        "{}: {}",
        landed.status,
        landed.text
    );
    assert_eq!(landed.headers[header::LOCATION], "/welcome");
    assert_eq!(state_of(&app, "acme").await, Some(TenantState::Active));
    assert_eq!(state_of(&app, "bravo").await, Some(TenantState::Pending));
    // Signed in as the owner, on this host only.
    let steps = acme.server_fn::<FirstRun>(&[]).await;
    assert_eq!(steps.status, StatusCode::OK, "{}", steps.text);
    let steps = steps.json();
    assert_eq!(steps["organisation"], "Acme Rockets");
    assert_eq!(steps["branded"], false);
    assert_eq!(steps["invited"], false);
    let members = acme.server_fn::<ListMembers>(&[]).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.text);
    let members = members.json();
    assert_eq!(members[0]["email"], OWNER);
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(members[0]["verified"], true, "{members}");
    let welcome = acme.get("/welcome").await;
    assert_eq!(welcome.status, StatusCode::OK);
    // The link works once.
    let mut again = app.client("acme.localhost");
    let reused = again.get(&format!("/signup/confirm/{token}")).await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND);
    // The session belongs to acme's host alone.
    let mut elsewhere = acme.on_host("bravo.localhost");
    assert_eq!(
        elsewhere.server_fn::<FirstRun>(&[]).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn bad_taken_or_reserved_input_is_refused_by_field_and_writes_nothing(app: TestApp) {
    app.tenant("alpha").await;
    let before = tenant_count(&app).await;
    let mut site = app.client("localhost");
    let cases: [(&str, &str, &str, StatusCode); 5] = [
        ("alpha", OWNER, "slug", StatusCode::CONFLICT),
        ("admin", OWNER, "slug", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "Not A Slug!",
            OWNER,
            "slug",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "fresh",
            "not-an-address",
            "email",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("fresh", OWNER, "password", StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (slug, email, field, status) in cases {
        let mut input = form(slug, email);
        if field == "password" {
            input[3] = ("password", "short");
        }
        let res = site.server_fn::<SignUp>(&input).await;
        assert_eq!(res.status, status, "{slug} {email}: {}", res.text);
        assert_eq!(res.json()["field"], field, "{slug} {email}: {}", res.text);
    }
    let mut no_name = form("fresh", OWNER);
    no_name[0] = ("name", "  ");
    let res = site.server_fn::<SignUp>(&no_name).await;
    assert_eq!(res.json()["field"], "name", "{}", res.text);
    let mut no_plan = form("fresh", OWNER);
    no_plan[4] = ("plan", "platinum-imaginary");
    let res = site.server_fn::<SignUp>(&no_plan).await;
    assert_eq!(res.json()["field"], "plan", "{}", res.text);
    assert_eq!(tenant_count(&app).await, before, "nothing written");
}

async fn the_base_host_serves_signup_and_nothing_else(app: TestApp) {
    app.tenant("alpha").await;
    let mut site = app.client("localhost");
    let home = site.get("/").await;
    assert!(home.status.is_redirection(), "{}", home.status);
    assert_eq!(home.headers[header::LOCATION], "/signup");
    for path in [
        "/login",
        "/admin",
        "/console",
        "/welcome",
        "/api/v1/projects",
    ] {
        assert_eq!(site.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // A tenant's or the console's functions find nothing here.
    let members = site.server_fn::<ListMembers>(&[]).await;
    assert_eq!(members.status, StatusCode::NOT_FOUND, "{}", members.text);
    // And the signup functions nothing on a tenant's host or the console.
    for host in ["alpha.localhost", "admin.localhost"] {
        let mut other = app.client(host);
        let res = sign_up(&mut other, "sneaky", OWNER).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{host}: {}", res.text);
        let res = other.server_fn::<CheckSlug>(&[("slug", "sneaky")]).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{host}: {}", res.text);
    }
    assert_eq!(state_of(&app, "sneaky").await, None);
}

async fn an_unconfirmed_signup_lapses_and_frees_its_slug(app: TestApp) {
    let mut site = app.client("localhost");
    let res = sign_up(&mut site, "acme", OWNER).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(signup::lapse_expired(&app.engine).await.expect("lapse"), 0);
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::SignupExpiresAt,
            Some(chrono::Utc::now() - chrono::Duration::minutes(1)).into(),
        )
        .filter(tenant::Column::Slug.eq("acme"))
        .exec(app.engine.platform_tables())
        .await
        .expect("expire");
    assert_eq!(signup::lapse_expired(&app.engine).await.expect("lapse"), 1);
    assert_eq!(state_of(&app, "acme").await, None, "purged");
    let again = sign_up(&mut site, "acme", "someone-else@acme.test").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signups_from_one_address_are_limited_and_signup_can_be_turned_off() {
    let app = TestApp::sqlite_with(&[("signup.per_address_per_hour", "2")]).await;
    let mut site = app.client("localhost");
    let from = |slug: &str, peer: &str| {
        let body = form(slug, OWNER)
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::harness::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = Request::post(<SignUp as leptos::server_fn::ServerFn>::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::ORIGIN, "http://localhost")
            .body(Body::from(body))
            .expect("request");
        let addr: SocketAddr = peer.parse().expect("address");
        req.extensions_mut().insert(ConnectInfo(addr));
        req
    };
    for slug in ["one", "two"] {
        let res = site.send(from(slug, "203.0.113.9:4000")).await;
        assert_eq!(res.status, StatusCode::OK, "{slug}: {}", res.text);
    }
    let third = site.send(from("three", "203.0.113.9:4001")).await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        third.text
    );
    assert_eq!(state_of(&app, "three").await, None);
    let elsewhere = site.send(from("three", "198.51.100.4:4000")).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.text);

    let closed = TestApp::sqlite_with(&[("signup.mode", "off")]).await;
    let mut site = closed.client("localhost");
    let options = site.server_fn::<SignupOptions>(&[]).await;
    assert_eq!(options.json()["open"], false);
    let res = sign_up(&mut site, "acme", OWNER).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("signup is closed"),
        "{}",
        res.text
    );
    assert_eq!(state_of(&closed, "acme").await, None);
}

/// A signup in a schema or database placement takes a unit made ahead
/// (its tenant gets the unit's id and location), and the refill makes
/// another; a unit of an older tenant migration is dropped, never taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signups_in_schema_and_database_placements_take_a_warm_unit_and_it_is_refilled() {
    for placement in [Placement::Schema, Placement::Database] {
        let app = TestApp::postgres_with(&[
            ("signup.placement", placement.as_str()),
            ("signup.warm_units", "1"),
        ])
        .await;
        assert_eq!(warm_units::refill(&app.engine).await.expect("refill"), 2);
        let waiting = warm_unit::Entity::find()
            .filter(warm_unit::Column::Placement.eq(placement.as_str()))
            .one(app.engine.platform_tables())
            .await
            .expect("read")
            .expect("a warm unit");
        let mut site = app.client("localhost");
        let res = sign_up(&mut site, "acme", OWNER).await;
        assert_eq!(res.status, StatusCode::OK, "{placement:?}: {}", res.text);
        let record = app
            .engine
            .record_by_slug(&Slug::parse("acme").expect("slug"))
            .await
            .expect("read")
            .expect("acme");
        assert_eq!(record.placement, placement);
        assert_eq!(
            record.id.uuid(),
            waiting.id,
            "{placement:?}: took the warm unit"
        );
        assert_eq!(record.location, waiting.location);
        // Refilled behind the signup.
        let mut refilled = 0;
        for _ in 0..200 {
            refilled = warm_units::count(&app.engine, placement)
                .await
                .expect("count");
            if refilled == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(refilled, 1, "{placement:?}: refilled");
        // A unit of another migration is dropped and replaced.
        warm_unit::Entity::update_many()
            .col_expr(warm_unit::Column::Version, "m0000_older".into())
            .exec(app.engine.platform_tables())
            .await
            .expect("age");
        assert_eq!(warm_units::refill(&app.engine).await.expect("refill"), 2);
        let units = warm_unit::Entity::find()
            .all(app.engine.platform_tables())
            .await
            .expect("units");
        assert!(
            units.iter().all(|u| u.version != "m0000_older"),
            "{units:?}"
        );
        assert_eq!(units.len(), 2);
    }
}

async fn where_signup_is_by_invitation_only_the_invited_address_signs_up_once(app: TestApp) {
    let app = app.with_router_settings(&[("signup.mode", "invite")]).await;
    let mut console = app.superadmin().await;
    let res = console
        .server_fn::<InviteSignup>(&[("email", "Founder@Acme.test")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let link = res.json().as_str().expect("link").to_owned();
    assert!(
        link.starts_with("http://localhost"),
        "on the base host: {link}"
    );
    let token = link.split("invite=").nth(1).expect("token").to_owned();

    let mut site = app.client("localhost");
    let options = site.server_fn::<SignupOptions>(&[]).await.json();
    assert_eq!(options["by_invitation"], true, "{options}");
    let before = tenant_count(&app).await;
    let with = |slug: &'static str, email: &'static str, invite: String| {
        let mut f: Vec<(&'static str, String)> = form(slug, email)
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        f.retain(|(k, _)| *k != "invite");
        f.push(("invite", invite));
        f
    };
    let send = |f: Vec<(&'static str, String)>| {
        let mut site = app.client("localhost");
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            site.server_fn::<SignUp>(&pairs).await
        }
    };
    for (f, what) in [
        (with("acme", OWNER, String::new()), "no invitation"),
        (
            with("acme", "someone@else.test", token.clone()),
            "another address",
        ),
        (with("acme", OWNER, "f".repeat(64)), "a made-up token"),
    ] {
        let res = send(f).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            res.text
        );
        assert_eq!(res.json()["field"], "invite", "{what}");
    }
    assert_eq!(tenant_count(&app).await, before, "nothing written");
    // A signup that fails once the invitation is taken gives it back.
    let mut weak = with("acme", OWNER, token.clone());
    for (k, v) in weak.iter_mut() {
        if *k == "password" {
            *v = "short".into();
        }
    }
    let res = send(weak).await;
    assert_eq!(res.json()["field"], "password", "{}", res.text);
    let res = send(with("acme", OWNER, token.clone())).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let again = send(with("acme2", OWNER, token.clone())).await;
    assert_eq!(again.json()["field"], "invite", "used once: {}", again.text);
    assert_eq!(tenant_count(&app).await, before + 1);
}
