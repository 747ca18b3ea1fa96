//! Custom domains against a real DNS server (pebble-challtestsrv): TXT
//! verification, routing of verified domains only, exclusivity between
//! tenants, lapsing on failed re-checks, primary host redirects.

use crate::dns_server::ChallTestSrv;
use crate::harness::{Client, TestApp};
use crate::on_both_backends;
use axum::http::{header, StatusCode};
use serde_json::Value;
use tenantry::domains;
use tenantry::events::outbox;
use tenantry_app::features::domains::api::{
    AddDomain, MakeDomainPrimary, RemoveDomain, VerifyDomain,
};

on_both_backends!(
    a_domain_routes_to_its_tenant_only_once_its_txt_record_verifies,
    another_tenants_token_does_not_verify_a_host_name_and_only_one_tenant_holds_it,
    a_verified_domain_whose_rechecks_fail_lapses_and_stops_routing,
    host_names_are_validated_with_field_errors,
);

async fn with_dns(app: TestApp, extra: &[(&str, &str)]) -> (TestApp, ChallTestSrv) {
    let dns = ChallTestSrv::start().await;
    let nameservers = dns.setting();
    let mut pairs = vec![("dns_nameservers", nameservers.as_str())];
    pairs.extend_from_slice(extra);
    (app.with_router_settings(&pairs).await, dns)
}

async fn add(client: &mut Client, hostname: &str) -> Value {
    let res = client
        .server_fn::<AddDomain>(&[("slug", ""), ("hostname", hostname)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "add {hostname}: {}", res.text);
    res.json()
}

async fn verify(client: &mut Client, domain: &Value) -> Value {
    let id = domain["id"].as_str().expect("id");
    let res = client
        .server_fn::<VerifyDomain>(&[("slug", ""), ("domain_id", id)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "verify: {}", res.text);
    res.json()
}

async fn a_domain_routes_to_its_tenant_only_once_its_txt_record_verifies(app: TestApp) {
    let (app, dns) = with_dns(app, &[]).await;
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let domain = add(&mut owner, "App.Alpha-Corp.test.").await;
    assert_eq!(domain["hostname"], "app.alpha-corp.test");
    assert_eq!(domain["state"], "pending");
    assert_eq!(
        domain["txt_name"],
        "_tenantry-challenge.app.alpha-corp.test"
    );
    assert_eq!(domain["cname_target"], "alpha.localhost");
    let token = domain["txt_value"].as_str().expect("token").to_owned();
    assert!(token.len() >= 32);

    // Pending: the host does not route, and verifying without the record fails.
    let mut visitor = app.client("app.alpha-corp.test");
    assert_eq!(visitor.get("/login").await.status, StatusCode::NOT_FOUND);
    let checked = verify(&mut owner, &domain).await;
    assert_eq!(checked["state"], "pending");
    assert!(checked["last_error"]
        .as_str()
        .expect("error")
        .contains("no TXT record"));

    dns.set_txt("_tenantry-challenge.app.alpha-corp.test", &token)
        .await;
    let checked = verify(&mut owner, &domain).await;
    assert_eq!(checked["state"], "verified", "{checked}");
    let page = visitor.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("alpha Inc"), "the tenant's branded page");
    let mut on_custom = owner.on_host("app.alpha-corp.test");
    assert_eq!(
        on_custom.get("/api/v1/projects").await.status,
        StatusCode::OK
    );
    let events = outbox::recent(&app.engine, None, 5).await.expect("events");
    assert_eq!(events[0].kind.as_str(), "domain.verified");
    assert_eq!(events[0].data["hostname"], "app.alpha-corp.test");

    // Primary: the subdomain's pages redirect there; its API does not.
    let id = domain["id"].as_str().expect("id");
    let res = owner
        .server_fn::<MakeDomainPrimary>(&[("slug", ""), ("domain_id", id)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.client("alpha.localhost").get("/login?next=%2F").await;
    assert_eq!(res.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        res.headers.get(header::LOCATION).expect("location"),
        "http://app.alpha-corp.test/login?next=%2F"
    );
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);

    // Removing it unbinds it at once.
    let res = on_custom
        .server_fn::<RemoveDomain>(&[("slug", ""), ("domain_id", id)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(visitor.get("/login").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.client("alpha.localhost").get("/login").await.status,
        StatusCode::OK
    );

    // A new attempt gets a new token.
    let again = add(&mut owner, "app.alpha-corp.test").await;
    assert_ne!(again["txt_value"].as_str(), Some(token.as_str()));
}

async fn another_tenants_token_does_not_verify_a_host_name_and_only_one_tenant_holds_it(
    app: TestApp,
) {
    let (app, dns) = with_dns(app, &[]).await;
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let mut alpha = app.owner_client("alpha").await;
    let mut bravo = app.owner_client("bravo").await;
    let a = add(&mut alpha, "shop.shared.test").await;
    let b = add(&mut bravo, "shop.shared.test").await;
    assert_ne!(
        a["txt_value"], b["txt_value"],
        "each claim has its own token"
    );

    let txt = "_tenantry-challenge.shop.shared.test";
    dns.set_txt(txt, a["txt_value"].as_str().expect("token"))
        .await;
    let checked = verify(&mut bravo, &b).await;
    assert_eq!(checked["state"], "pending");
    assert!(checked["last_error"]
        .as_str()
        .expect("error")
        .contains("does not hold this domain's token"));
    assert_eq!(verify(&mut alpha, &a).await["state"], "verified");
    let page = app.client("shop.shared.test").get("/login").await;
    assert!(page.text.contains("alpha Inc"));

    // Even with its own token in DNS, bravo cannot take a name alpha holds.
    dns.set_txt(txt, b["txt_value"].as_str().expect("token"))
        .await;
    let checked = verify(&mut bravo, &b).await;
    assert_eq!(checked["state"], "pending");
    assert!(checked["last_error"]
        .as_str()
        .expect("error")
        .contains("another workspace"));
    let page = app.client("shop.shared.test").get("/login").await;
    assert!(page.text.contains("alpha Inc") && !page.text.contains("bravo Inc"));
}

async fn a_verified_domain_whose_rechecks_fail_lapses_and_stops_routing(app: TestApp) {
    let settings = [
        ("domain_recheck_secs", "0"),
        ("domain_retry_base_secs", "1"),
        ("domain_lapse_after_failures", "2"),
    ];
    let (app, dns) = with_dns(app, &settings).await;
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let domain = add(&mut owner, "app.lapsing.test").await;
    let txt = "_tenantry-challenge.app.lapsing.test";
    dns.set_txt(txt, domain["txt_value"].as_str().expect("token"))
        .await;
    assert_eq!(verify(&mut owner, &domain).await["state"], "verified");
    let mut visitor = app.client("app.lapsing.test");
    assert_eq!(visitor.get("/login").await.status, StatusCode::OK);

    dns.clear_txt(txt).await;
    // The first failed re-check keeps it routing; the second lapses it.
    assert!(domains::recheck_due(&app.engine).await.expect("recheck") >= 1);
    assert_eq!(visitor.get("/login").await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(domains::recheck_due(&app.engine).await.expect("recheck") >= 1);
    assert_eq!(visitor.get("/login").await.status, StatusCode::NOT_FOUND);
    let events = outbox::recent(&app.engine, None, 5).await.expect("events");
    assert_eq!(events[0].kind.as_str(), "domain.lapsed");

    // When the record comes back, a background check restores it.
    dns.set_txt(txt, domain["txt_value"].as_str().expect("token"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    domains::recheck_due(&app.engine).await.expect("recheck");
    assert_eq!(visitor.get("/login").await.status, StatusCode::OK);
}

async fn host_names_are_validated_with_field_errors(app: TestApp) {
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    for (raw, reason) in [
        ("", "is required"),
        ("https://app.example.test/", "no scheme or path"),
        ("app.example.test:8443", "port"),
        ("10.0.0.1", "IP address"),
        ("beta.localhost", "platform's own"),
        ("not valid.test", "not a valid host name"),
    ] {
        let res = owner
            .server_fn::<AddDomain>(&[("slug", ""), ("hostname", raw)])
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{raw}: {}",
            res.text
        );
        assert_eq!(res.json()["field"], "hostname");
        assert!(res.text.contains(reason), "{raw}: {}", res.text);
    }
    add(&mut owner, "ok.example.test").await;
    let res = owner
        .server_fn::<AddDomain>(&[("slug", ""), ("hostname", "OK.example.test")])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
}
