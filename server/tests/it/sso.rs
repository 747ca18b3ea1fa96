//! Single sign-on through a real OpenID Connect provider (oauth2-mock-server):
//! the whole authorization-code flow with PKCE through the router, and every
//! way an answer must be refused — replayed on another tenant's host, minted
//! for another client, tampered with, for a domain not allowed, or with a
//! `next` that leaves the host.
//!
//! About 560 lines, one scenario per test: single sign-on scenarios against the
//! OIDC provider the tests start, sharing its setup.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::oidc_provider::OidcProvider;
use crate::on_both_backends;
use axum::http::{header, StatusCode};
use serde_json::json;
use tenantry::identity::sso::id_token;
use tenantry_app::features::sso::api::SaveSso;

on_both_backends!(
    sso_signs_a_member_in_and_provisions_them_just_in_time,
    a_callback_replayed_on_another_tenants_host_or_minted_for_another_client_fails,
    a_tampered_or_foreign_id_token_is_refused,
    enforced_sso_turns_password_sign_in_off_except_for_the_break_glass_owner,
    sso_settings_are_validated_and_need_an_admin,
    sso_discovery_reaches_public_addresses_only_and_answers_alike,
    only_owners_change_sso_and_it_never_lands_on_an_owner_who_did_not_link,
    allowed_email_domains_must_be_proven_in_dns_by_the_tenant,
);

const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

pub(crate) async fn app_with_key(app: TestApp) -> TestApp {
    app.with_router_settings(&[("secret_key", SECRET_KEY)])
        .await
}

/// Configures SSO on `slug` as its owner; the server function's reply.
pub(crate) async fn configure(
    app: &TestApp,
    slug: &str,
    issuer: &str,
    extra: &[(&str, &str)],
) -> crate::harness::Reply {
    let mut owner = app.owner_client(slug).await;
    let client_id = format!("{slug}-app");
    let mut form = vec![
        ("issuer", issuer),
        ("client_id", client_id.as_str()),
        ("client_secret", "s3cret-of-the-client"),
        ("allowed_domains", "example.com"),
        ("jit_provisioning", "true"),
        ("default_role", "member"),
        ("break_glass_email", ""),
    ];
    for (k, v) in extra {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    owner.server_fn::<SaveSso>(&form).await
}

fn location(res: &crate::harness::Reply) -> String {
    res.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no redirect: {} {}", res.status, res.text))
        .to_owned()
}

/// Starts a sign-in on `client`'s host and lets the provider answer; the
/// callback path (with query) the browser would be sent back to.
async fn provider_answer(client: &mut Client, next: &str, hint: &str) -> String {
    let start = format!(
        "/sso/start?next={}&login_hint={}",
        crate::harness::urlencode(next),
        crate::harness::urlencode(hint)
    );
    answer_from(client, &start).await
}

/// The provider's answer to the sign-in `start` (a `/sso/start?…` path) on
/// `client`'s host: the callback path, with its query.
async fn answer_from(client: &mut Client, start: &str) -> String {
    let res = client.get(start).await;
    assert!(res.status.is_redirection(), "{} {}", res.status, res.text);
    let authorize = location(&res);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let answer = http.get(&authorize).send().await.expect("provider answers");
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let back = answer.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let url = url::Url::parse(&back).expect("callback url");
    assert_eq!(url.path(), "/sso/callback");
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

async fn sso_signs_a_member_in_and_provisions_them_just_in_time(app: TestApp) {
    let provider = OidcProvider::start();
    let app = app_with_key(app).await;
    app.tenant("alpha").await;
    let res = configure(&app, "alpha", &provider.issuer, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["has_client_secret"], true);
    assert!(
        !res.text.contains("s3cret"),
        "the secret is never shown: {}",
        res.text
    );

    let mut browser = app.client("alpha.localhost");
    let back = provider_answer(&mut browser, "/projects/x", "ann@example.com").await;
    let res = browser.get(&back).await;
    assert_eq!(location(&res), "/projects/x", "{}", res.text);
    let res = browser.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::OK, "signed in: {}", res.text);
    // Provisioned with the default role.
    let res = browser
        .post_json("/api/v1/projects", json!({"name": "By SSO"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    // The answer is used up: replaying the callback fails.
    let res = browser.get(&back).await;
    assert!(
        location(&res).starts_with("/login?sso_error="),
        "{}",
        res.text
    );

    // A `next` that leaves the host lands on the home page instead.
    let mut again = app.client("alpha.localhost");
    let back = provider_answer(&mut again, "https://evil.test/", "ann@example.com").await;
    assert_eq!(location(&again.get(&back).await), "/");

    // A domain that is not allowed.
    let mut eve = app.client("alpha.localhost");
    let back = provider_answer(&mut eve, "/", "eve@evil.test").await;
    let res = eve.get(&back).await;
    assert!(location(&res).contains("domain"), "{}", location(&res));
    assert_eq!(
        eve.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_callback_replayed_on_another_tenants_host_or_minted_for_another_client_fails(
    app: TestApp,
) {
    let provider = OidcProvider::start();
    let app = app_with_key(app).await;
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    configure(&app, "alpha", &provider.issuer, &[]).await;
    configure(&app, "bravo", &provider.issuer, &[]).await;

    // Started on alpha, answered to bravo's host: with the cookie carried
    // there by hand, and without it.
    let mut browser = app.client("alpha.localhost");
    let back = provider_answer(&mut browser, "/", "ann@example.com").await;
    for mut on_bravo in [
        browser.on_host("bravo.localhost"),
        app.client("bravo.localhost"),
    ] {
        let res = on_bravo.get(&back).await;
        assert!(
            location(&res).starts_with("/login?sso_error="),
            "{}",
            res.text
        );
        assert_eq!(
            on_bravo.get("/api/v1/projects").await.status,
            StatusCode::UNAUTHORIZED
        );
    }

    // An ID token minted for bravo's client, answering alpha's sign-in.
    let mut browser = app.client("alpha.localhost");
    let back = provider_answer(&mut browser, "/", "aud:bravo-app:ann@example.com").await;
    let res = browser.get(&back).await;
    let to = location(&res);
    assert!(to.contains("another%20client"), "{to}");
    assert_eq!(
        browser.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// A real ID token from the provider for `client_id`, with `nonce`.
async fn real_id_token(issuer: &str, client_id: &str, nonce: &str, email: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let authorize = format!(
        "{issuer}/authorize?response_type=code&client_id={client_id}&redirect_uri=http://x.test/cb&state=s&nonce={nonce}&login_hint={email}&scope=openid"
    );
    let res = http.get(&authorize).send().await.expect("authorize");
    let back =
        url::Url::parse(res.headers()[header::LOCATION].to_str().expect("loc")).expect("url");
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let res = http
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client_id),
            ("redirect_uri", "http://x.test/cb"),
        ])
        .send()
        .await
        .expect("token");
    let body: serde_json::Value =
        serde_json::from_slice(&res.bytes().await.expect("body")).expect("json");
    body["id_token"].as_str().expect("id_token").to_owned()
}

async fn a_tampered_or_foreign_id_token_is_refused(app: TestApp) {
    use base64::Engine as _;
    let provider = OidcProvider::start();
    let settings = app.engine.settings();
    let keys = id_token::fetch_keys(settings, &format!("{}/jwks", provider.issuer))
        .await
        .expect("keys");
    let token = real_id_token(&provider.issuer, "alpha-app", "n0nce", "ann@example.com").await;
    let ok =
        id_token::verify(&keys, &provider.issuer, "alpha-app", "n0nce", &token).expect("valid");
    assert_eq!(ok.email.as_deref(), Some("ann@example.com"));

    let reason = |r: tenantry::Result<id_token::IdClaims>| r.expect_err("refused").public_message();
    // Another client, another nonce, another issuer.
    assert!(reason(id_token::verify(
        &keys,
        &provider.issuer,
        "bravo-app",
        "n0nce",
        &token
    ))
    .contains("another client"));
    assert!(reason(id_token::verify(
        &keys,
        &provider.issuer,
        "alpha-app",
        "other",
        &token
    ))
    .contains("nonce"));
    assert!(reason(id_token::verify(
        &keys,
        "http://127.0.0.1:1",
        "alpha-app",
        "n0nce",
        &token
    ))
    .contains("issuer"));
    // The payload edited (another email), the signature kept.
    let parts: Vec<&str> = token.split('.').collect();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(engine.decode(parts[1]).expect("b64")).expect("utf8");
    let edited = engine.encode(payload.replace("ann@example.com", "boss@example.com"));
    let tampered = format!("{}.{}.{}", parts[0], edited, parts[2]);
    assert!(reason(id_token::verify(
        &keys,
        &provider.issuer,
        "alpha-app",
        "n0nce",
        &tampered
    ))
    .contains("signature"));
    // "alg": "none" and a symmetric algorithm are not accepted at all.
    for alg in ["none", "HS256"] {
        let header = engine.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let forged = format!("{header}.{}.{}", parts[1], parts[2]);
        assert!(id_token::verify(&keys, &provider.issuer, "alpha-app", "n0nce", &forged).is_err());
    }
}

async fn enforced_sso_turns_password_sign_in_off_except_for_the_break_glass_owner(app: TestApp) {
    let provider = OidcProvider::start();
    let app = app_with_key(app).await;
    let ctx = app.tenant("alpha").await;
    let db = ctx.db().await.expect("db");
    let new =
        tenantry::identity::members::NewMember::parse("dev@example.com", "", PASSWORD, "member")
            .expect("member");
    tenantry::identity::members::create(&db, new)
        .await
        .expect("created");
    db.commit().await.expect("commit");
    let res = configure(
        &app,
        "alpha",
        &provider.issuer,
        &[
            ("enforce_sso", "true"),
            ("break_glass_email", "owner@alpha.test"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut dev = app.client("alpha.localhost");
    let res = dev
        .post_json(
            "/api/v1/session",
            json!({"email": "dev@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert_eq!(res.json()["error"]["code"], "sso_required");
    // A wrong password, or an unknown address, gets the very same answer:
    // sign-in does not tell a right password from a wrong one.
    let right = res.text.clone();
    for (email, password) in [
        ("dev@example.com", "not it at all"),
        ("nobody@example.com", PASSWORD),
    ] {
        let res = dev
            .post_json(
                "/api/v1/session",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{email}");
        assert_eq!(res.text, right, "{email}");
    }
    // The break-glass owner signs in with a password; the member through SSO.
    app.owner_client("alpha").await;
    let back = provider_answer(&mut dev, "/", "dev@example.com").await;
    dev.get(&back).await;
    assert_eq!(dev.get("/api/v1/projects").await.status, StatusCode::OK);
}

async fn sso_settings_are_validated_and_need_an_admin(app: TestApp) {
    let provider = OidcProvider::start();
    let app = app_with_key(app).await;
    let ctx = app.tenant("alpha").await;
    for (field, value, extra) in [
        ("issuer", "ftp://login.example.com", vec![]),
        ("issuer", "http://127.0.0.1:1", vec![]),
        ("allowed_domains", "", vec![]),
        ("default_role", "owner", vec![]),
        ("break_glass_email", "", vec![("enforce_sso", "true")]),
        (
            "break_glass_email",
            "nobody@alpha.test",
            vec![("enforce_sso", "true")],
        ),
    ] {
        let mut pairs = vec![(field, value)];
        pairs.extend(extra);
        let res = configure(&app, "alpha", &provider.issuer, &pairs).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {}",
            res.text
        );
        assert_eq!(res.json()["field"], field, "{}", res.text);
    }
    // Members cannot configure it.
    let db = ctx.db().await.expect("db");
    let new = tenantry::identity::members::NewMember::parse("m@alpha.test", "", PASSWORD, "member")
        .expect("member");
    tenantry::identity::members::create(&db, new)
        .await
        .expect("created");
    db.commit().await.expect("commit");
    let mut member = app.owner_client_as("alpha", "m@alpha.test").await;
    let res = member
        .server_fn::<SaveSso>(&[
            ("issuer", provider.issuer.as_str()),
            ("client_id", "x"),
            ("client_secret", ""),
            ("allowed_domains", "example.com"),
            ("default_role", "member"),
            ("break_glass_email", ""),
        ])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    // Without SSO configured, /sso/start is simply not found.
    let mut anon = app.client("alpha.localhost");
    assert_eq!(anon.get("/sso/start").await.status, StatusCode::NOT_FOUND);
}

/// Issue 18, point 5: in production the provider's URLs are fetched from
/// public addresses only, and every failure reads the same, so the form is
/// no port scanner.
async fn sso_discovery_reaches_public_addresses_only_and_answers_alike(app: TestApp) {
    let provider = OidcProvider::start();
    let app = app
        .with_router_settings(&[
            ("secret_key", SECRET_KEY),
            ("sso_allow_private_providers", "false"),
        ])
        .await;
    app.tenant("alpha").await;
    let https_port = |issuer: &str| {
        let port = url::Url::parse(issuer).expect("url").port().expect("port");
        format!("https://127.0.0.1:{port}")
    };
    let mut answers = Vec::new();
    for issuer in [
        // A live provider on loopback, over http and https; a closed port;
        // IPv6 forms carrying a loopback or metadata address.
        provider.issuer.clone(),
        https_port(&provider.issuer),
        "https://127.0.0.1:1".to_owned(),
        "https://[::ffff:127.0.0.1]:8080".to_owned(),
        "https://[64:ff9b::169.254.169.254]".to_owned(),
        "https://localhost:5432".to_owned(),
    ] {
        let res = configure(&app, "alpha", &issuer, &[]).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{issuer}: {}",
            res.text
        );
        assert_eq!(res.json()["field"], "issuer", "{}", res.text);
        let message = res.json()["message"].as_str().expect("message").to_owned();
        assert!(!message.contains("answered"), "{message}");
        answers.push(message.replace(&issuer, "<issuer>"));
    }
    // Plain http is refused for what it is; every other failure is one text.
    assert!(answers[0].contains("https"), "{}", answers[0]);
    assert!(
        answers[1..].iter().all(|a| a == &answers[1]),
        "{answers:#?}"
    );
}

/// Issue 18, point 4: an admin pointed SSO at a provider of their own and
/// signed in as the owner. Now only an owner changes SSO, and SSO signs in
/// an owner only as the identity they linked themselves.
async fn only_owners_change_sso_and_it_never_lands_on_an_owner_who_did_not_link(app: TestApp) {
    let provider = OidcProvider::start();
    let app = app_with_key(app).await;
    let ctx = app.tenant("alpha").await;
    let db = ctx.db().await.expect("db");
    let new =
        tenantry::identity::members::NewMember::parse("adm@alpha.test", "", PASSWORD, "admin")
            .expect("admin");
    tenantry::identity::members::create(&db, new)
        .await
        .expect("created");
    db.commit().await.expect("commit");

    // An admin may not configure the provider.
    let mut admin = app.owner_client_as("alpha", "adm@alpha.test").await;
    let res = admin
        .server_fn::<SaveSso>(&[
            ("issuer", provider.issuer.as_str()),
            ("client_id", "alpha-app"),
            ("client_secret", ""),
            ("allowed_domains", "alpha.test"),
            ("default_role", "member"),
            ("break_glass_email", ""),
        ])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let res = configure(
        &app,
        "alpha",
        &provider.issuer,
        &[("allowed_domains", "alpha.test")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // The provider names the owner: refused while the owner has not linked.
    let mut taker = app.client("alpha.localhost");
    let back = provider_answer(&mut taker, "/", "owner@alpha.test").await;
    let res = taker.get(&back).await;
    assert!(location(&res).contains("linking"), "{}", location(&res));
    assert_eq!(
        taker.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );

    // An identity with another address cannot be linked to an account.
    let start = "/sso/start?link=1&next=/admin/sso&login_hint=adm2%40alpha.test";
    let back = answer_from(&mut admin, start).await;
    let res = admin.get(&back).await;
    assert!(
        location(&res).contains("another%20email"),
        "{}",
        location(&res)
    );

    // The owner, signed in, links their own identity; from then on SSO
    // signs them in as that identity.
    let mut owner = app.owner_client("alpha").await;
    let start = "/sso/start?link=1&next=/admin/sso&login_hint=owner%40alpha.test";
    let back = answer_from(&mut owner, start).await;
    assert_eq!(location(&owner.get(&back).await), "/admin/sso");
    let mut browser = app.client("alpha.localhost");
    let back = provider_answer(&mut browser, "/", "owner@alpha.test").await;
    assert_eq!(location(&browser.get(&back).await), "/");
    let res = browser.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::OK, "signed in: {}", res.text);
    // Linking is in the tenant's audit log.
    let audit = owner
        .server_fn::<tenantry_app::features::tenant_audit::api::ListTenantAudit>(&[])
        .await
        .json();
    assert!(
        audit["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(
                |r| r["action"] == "sso.identity_linked" && r["actor"] == "member:owner@alpha.test"
            ),
        "{audit}"
    );
}

/// Issue 18, point 4: an admin could let a provider of their own sign in
/// addresses at any domain. Each allowed domain must now hold a TXT record
/// naming this tenant (a real DNS server here).
async fn allowed_email_domains_must_be_proven_in_dns_by_the_tenant(app: TestApp) {
    let provider = OidcProvider::start();
    let dns = crate::dns_server::ChallTestSrv::start().await;
    let app = app
        .with_router_settings(&[
            ("secret_key", SECRET_KEY),
            ("sso_domains_need_proof", "true"),
            ("dns_nameservers", &dns.setting()),
        ])
        .await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let record = "_tenantry-challenge.example.com";

    // Unproven: refused, naming the record to add.
    let res = configure(&app, "alpha", &provider.issuer, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["field"], "allowed_domains");
    let message = res.json()["message"].as_str().expect("message").to_owned();
    assert!(message.contains(record), "{message}");
    assert!(
        message.contains(&format!("tenantry-sso={}", alpha.id())),
        "{message}"
    );

    // Bravo's proof proves nothing for alpha.
    dns.set_txt(record, &format!("tenantry-sso={}", bravo.id()))
        .await;
    let res = configure(&app, "alpha", &provider.issuer, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let res = configure(&app, "bravo", &provider.issuer, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // Alpha's own record: saved, and members of that domain sign in.
    dns.set_txt(record, &format!("tenantry-sso={}", alpha.id()))
        .await;
    let res = configure(&app, "alpha", &provider.issuer, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut browser = app.client("alpha.localhost");
    let back = provider_answer(&mut browser, "/", "ann@example.com").await;
    assert_eq!(location(&browser.get(&back).await), "/");
}
