use crate::harness::TestApp;
use crate::on_both_backends;
use axum::http::{header, StatusCode};
use serde_json::json;

on_both_backends!(
    unknown_hosts_and_slugs_get_a_neutral_404,
    tenant_pages_are_branded_and_never_name_the_platform,
    console_root_redirects_and_console_paths_do_not_exist_on_tenant_hosts,
    health_endpoints_answer_on_any_host,
    cross_origin_state_changes_are_refused,
    session_cookie_is_host_only_httponly_lax_and_rotates_at_sign_in,
    signed_out_visitors_are_sent_to_sign_in,
    sign_out_ends_the_session_on_tenant_hosts_and_the_console,
    every_navigation_link_opens_a_page,
    the_colour_scheme_chosen_is_remembered_per_host,
);

/// Choosing a scheme sets a year-long cookie on the host (anyone may, it is
/// not a secret); the next page carries it as the class of `<html>`, which
/// the stylesheet reads. Anything but the three words is refused by field.
async fn the_colour_scheme_chosen_is_remembered_per_host(app: TestApp) {
    use tenantry_app::features::appearance::api::SetTheme;
    app.tenant("acme").await;
    let mut visitor = app.client("acme.localhost");
    let page = visitor.get("/login").await;
    assert!(
        page.text.contains(r#"<html lang="en" class="system">"#),
        "{}",
        page.text
    );

    let res = visitor.server_fn::<SetTheme>(&[("theme", "dark")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let set = res.headers[header::SET_COOKIE].to_str().unwrap_or_default();
    assert_eq!(
        set,
        "tenantry_theme=dark; Path=/; Max-Age=31536000; SameSite=Lax"
    );
    let page = visitor.get("/login").await;
    assert!(page.text.contains(r#"<html lang="en" class="dark">"#));
    // Another host does not share it.
    let other = app.client("admin.localhost").get("/console/login").await;
    assert!(other.text.contains(r#"class="system""#));

    let bad = visitor.server_fn::<SetTheme>(&[("theme", "neon")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.json()["field"], "theme");
    assert!(!bad.headers.contains_key(header::SET_COOKIE));
}

async fn unknown_hosts_and_slugs_get_a_neutral_404(app: TestApp) {
    app.tenant("acme").await;
    for host in [
        "nope.localhost",
        "evil.example.com",
        "a.b.localhost",
        "ADMIN.localhost.evil",
    ] {
        let res = app.client(host).get("/").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{host}");
        assert_eq!(
            res.text,
            tenantry_server::gateway::resolve::NOT_FOUND_PAGE,
            "{host}"
        );
    }
    let res = app.client("acme.localhost").get("/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // The base host is the platform's signup site (`signup.rs`): any other
    // path there is the same neutral 404.
    let res = app.client("localhost").get("/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.text, tenantry_server::gateway::resolve::NOT_FOUND_PAGE);
}

async fn tenant_pages_are_branded_and_never_name_the_platform(app: TestApp) {
    app.tenant("acme").await;
    let res = app.client("acme.localhost").get("/login").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text.contains("<title>acme Inc</title>"), "{}", res.text);
    assert!(res
        .text
        .contains("--brand-primary:light-dark(#4f46e5,#4f46e5)"));
    assert!(
        !res.text.to_lowercase().contains("tenantry"),
        "platform name on a tenant page"
    );
    let mut owner = app.owner_client("acme").await;
    let saved = owner
        .server_fn::<tenantry_app::features::members::api::SaveBranding>(&[
            ("display_name", "Acme Rockets"),
            ("primary_color", "#B91C1C"),
            ("accent_color", "#166534"),
            ("logo_url", ""),
            ("login_text", "Welcome, rocketeers"),
            ("product_name", "RocketDesk"),
            ("support_email", "Help@Acme.test"),
            ("primary_color_dark", "#7f1d1d"),
            ("accent_color_dark", ""),
        ])
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let res = app.client("acme.localhost").get("/login").await;
    assert!(
        res.text.contains("--brand-primary:light-dark(#b91c1c,"),
        "saved colours on the next load"
    );
    assert!(res.text.contains("Acme Rockets") && res.text.contains("Welcome, rocketeers"));
    assert!(
        res.text.contains("<title>RocketDesk</title>"),
        "product name titles pages"
    );
    assert!(
        res.text.contains("mailto:help@acme.test"),
        "support email on every page"
    );
    assert!(
        res.text
            .contains("--brand-primary:light-dark(#b91c1c,#7f1d1d);--brand-accent:light-dark(#166534,#166534)"),
        "dark variants, falling back to the light accent"
    );
    // Error pages on the tenant's host carry its brand too.
    let missing = app.client("acme.localhost").get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.text.contains("<title>RocketDesk</title>")
            && missing.text.contains("--brand-primary:light-dark(#b91c1c,")
            && !missing.text.to_lowercase().contains("tenantry"),
        "branded 404: {}",
        missing.text
    );
    // Colours carry white text: below WCAG AA (4.5:1) they are refused.
    for (field, colour) in [
        ("primary_color", "#FF0000"),
        ("accent_color", "#00ff00"),
        ("primary_color_dark", "#aaaaaa"),
    ] {
        let mut form = vec![
            ("display_name", "Acme Rockets"),
            ("primary_color", "#B91C1C"),
            ("accent_color", "#166534"),
            ("logo_url", ""),
            ("login_text", ""),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, colour));
        let bad = owner
            .server_fn::<tenantry_app::features::members::api::SaveBranding>(&form)
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            bad.text
        );
        assert_eq!(bad.json()["field"], field);
        assert!(bad.text.contains("WCAG AA"), "{}", bad.text);
    }
    let bad = owner
        .server_fn::<tenantry_app::features::members::api::SaveBranding>(&[
            ("display_name", "X"),
            ("primary_color", "red;}body{display:none"),
            ("accent_color", "#00ff00"),
            ("logo_url", ""),
            ("login_text", ""),
        ])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "primary_color");
    let res = app.client("acme.localhost").get("/login").await;
    assert!(
        res.text.contains("Acme Rockets"),
        "nothing written on bad input"
    );
}

async fn console_root_redirects_and_console_paths_do_not_exist_on_tenant_hosts(app: TestApp) {
    app.tenant("acme").await;
    let res = app.client("admin.localhost").get("/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.headers[header::LOCATION], "/console");
    let res = app.client("admin.localhost").get("/console/login").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text.contains("Superadmin sign-in"));
    let res = app.client("acme.localhost").get("/console/login").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

async fn health_endpoints_answer_on_any_host(app: TestApp) {
    for host in ["anything.example", "admin.localhost"] {
        assert_eq!(
            app.client(host).get("/healthz").await.status,
            StatusCode::OK
        );
        let ready = app.client(host).get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK);
        assert_eq!(ready.text, "ready");
    }
}

async fn cross_origin_state_changes_are_refused(app: TestApp) {
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    for origin in ["http://evil.example", "http://bravo.localhost", "null"] {
        let req = axum::http::Request::post("/api/v1/projects")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, origin)
            .body(axum::body::Body::from(json!({"name": "csrf"}).to_string()))
            .expect("request");
        let res = owner.send(req).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(res.json()["error"]["code"], "cross_origin");
    }
    let req = axum::http::Request::post("/api/v1/projects")
        .header(header::CONTENT_TYPE, "application/json")
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::from(json!({"name": "csrf"}).to_string()))
        .expect("request");
    assert_eq!(owner.send(req).await.status, StatusCode::FORBIDDEN);
    let list = owner.get("/api/v1/projects").await;
    assert_eq!(
        list.json()["projects"].as_array().expect("array").len(),
        0,
        "nothing written"
    );
}

async fn session_cookie_is_host_only_httponly_lax_and_rotates_at_sign_in(app: TestApp) {
    app.tenant("acme").await;
    let mut c = app.client("acme.localhost");
    let body = json!({"email": "owner@acme.test", "password": crate::harness::PASSWORD});
    let res = c.post_json("/api/v1/session", body.clone()).await;
    let set = res.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(set.starts_with("sid="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(!set.to_lowercase().contains("domain="), "host-only: {set}");
    let first = c.cookie.clone().expect("cookie");
    c.post_json("/api/v1/session", body).await;
    let second = c.cookie.clone().expect("cookie");
    assert_ne!(first, second, "session id rotated at sign-in");
    let mut stale = app.client("acme.localhost");
    stale.cookie = Some(first);
    assert_eq!(
        stale.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED,
        "old id is dead"
    );
}

async fn signed_out_visitors_are_sent_to_sign_in(app: TestApp) {
    app.tenant("acme").await;
    let res = app.client("acme.localhost").get("/").await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.text);
    assert_eq!(res.headers[header::LOCATION], "/login");
    let res = app.client("admin.localhost").get("/console").await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert_eq!(res.headers[header::LOCATION], "/console/login");
}

async fn sign_out_ends_the_session_on_tenant_hosts_and_the_console(app: TestApp) {
    use tenantry_app::features::console::api::ListTenants;
    use tenantry_app::features::session::api::Logout;
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    let stolen = owner.cookie.clone();
    assert_eq!(owner.server_fn::<Logout>(&[]).await.status, StatusCode::OK);
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut replay = app.client("acme.localhost");
    replay.cookie = stolen;
    assert_eq!(
        replay.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED,
        "the old cookie is dead"
    );

    let mut admin = app.superadmin().await;
    let list = [("query", ""), ("state", "")];
    assert_eq!(
        admin.server_fn::<ListTenants>(&list).await.status,
        StatusCode::OK
    );
    admin.server_fn::<Logout>(&[]).await;
    assert_eq!(
        admin.server_fn::<ListTenants>(&list).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// The header's links come from the navigation tables; each opens a page
/// (not the "not found" fallback) for whoever the header shows it to.
async fn every_navigation_link_opens_a_page(app: TestApp) {
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    let mut superadmin = app.superadmin().await;
    let tables = [
        (false, tenantry_app::nav::TENANT_ADMIN),
        (false, tenantry_app::nav::TENANT_MEMBER),
        (true, tenantry_app::nav::CONSOLE),
    ];
    for (on_console, links) in tables {
        let client = match on_console {
            true => &mut superadmin,
            false => &mut owner,
        };
        for (path, label) in links {
            let res = client.get(path).await;
            assert_eq!(res.status, StatusCode::OK, "{label} ({path})");
            assert!(!res.text.contains("Page not found"), "{label} ({path})");
            assert!(
                res.text.contains(&format!("href=\"{path}\"")),
                "{label} ({path}) is not in the header"
            );
        }
    }
}
