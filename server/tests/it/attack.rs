//! The cross-tenant attack suite. It is generated from the API route table and
//! the server-function registry, so a new route or function is attacked
//! without editing this file. Tenant A's owner, signed in on A's host, aims
//! every one of them at tenant B's ids; B must be untouched and nothing of B's
//! may appear in any answer.
//!
//! About 640 lines, one scenario per test: the attack suite: every route and
//! server function against another tenant, enumerated from the registries.

use crate::harness::{Client, TestApp};
use crate::oidc_provider::OidcProvider;
use crate::on_both_backends;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;
use tenantry::entities::search::Place;
use tenantry::events::{delivery, endpoints, Owner};
use tenantry::identity::members;
use tenantry::product::{projects, tasks};
use tenantry::storage::Asset;
use tenantry::tenancy::TenantCtx;

fn parse_uuid(raw: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(raw).expect("uuid")
}

on_both_backends!(
    every_api_route_aimed_at_tenant_b_ids_is_404_and_leaves_b_unchanged,
    every_brand_asset_route_serves_and_changes_only_the_hosts_tenant,
    every_server_function_aimed_at_tenant_b_leaks_nothing_and_leaves_b_unchanged,
    tenant_a_session_cookie_is_anonymous_on_tenant_b_host,
    forwarded_host_from_an_untrusted_peer_is_ignored,
    tenant_b_api_key_and_token_are_refused_on_every_route_of_tenant_a_host,
);
// The same attacks with the server's queries going through PgBouncer in
// transaction mode: server connections shared between tenants leak nothing.
crate::through_pgbouncer!(
    every_api_route_aimed_at_tenant_b_ids_is_404_and_leaves_b_unchanged,
    every_server_function_aimed_at_tenant_b_leaks_nothing_and_leaves_b_unchanged,
    tenant_b_api_key_and_token_are_refused_on_every_route_of_tenant_a_host,
);

/// B's data, as B itself sees it.
pub(crate) struct Victim {
    pub(crate) ctx: TenantCtx,
    pub(crate) project_id: String,
    pub(crate) invoice_number: String,
    /// An offer of B's on sale, and a purchase of it.
    pub(crate) offer_id: String,
    pub(crate) purchase_id: String,
    pub(crate) task_id: String,
    pub(crate) member_id: String,
    pub(crate) endpoint_id: String,
    pub(crate) delivery_id: String,
    pub(crate) domain_id: String,
    pub(crate) key_id: String,
    /// B's API key itself (what a leaked key would be).
    pub(crate) key_secret: String,
    pub(crate) invitation_id: String,
    /// The public handle of a session of B's owner.
    pub(crate) session_handle: String,
    pub(crate) export_id: String,
    /// The job that produced B's export.
    pub(crate) job_id: String,
    pub(crate) secrets: Vec<String>,
    /// When B was set up: its usage is read for that period.
    pub(crate) since: chrono::DateTime<chrono::Utc>,
    /// B's identity provider, alive while the attack runs.
    pub(crate) _provider: OidcProvider,
}

pub(crate) async fn victim(app: &TestApp) -> Victim {
    let ctx = app.tenant("bravo").await;
    let db = ctx.db().await.expect("db");
    let project = projects::create(&ctx, &db, "Bravo secret plan")
        .await
        .expect("project");
    let task = tasks::create(&db, project.id, "Bravo secret task")
        .await
        .expect("task");
    let member = members::list(&db).await.expect("members").remove(0);
    db.commit().await.expect("commit");
    // A webhook endpoint of B's, with a delivery in its log.
    let endpoint = endpoints::create(
        &app.engine,
        Owner::of(&ctx),
        "https://bravo-secret.example/hook",
        "Bravo secret hook",
        "*",
        "test",
    )
    .await
    .expect("endpoint");
    tenantry::events::dispatch::dispatch_pending(&app.engine)
        .await
        .expect("dispatch");
    let owner = Owner::of(&ctx);
    let deliveries = delivery::log(
        &app.engine,
        owner,
        endpoint.endpoint.id,
        "",
        &Place::newest(),
    )
    .await
    .expect("log");
    let delivery_id = deliveries.rows.first().expect("a delivery").id.to_string();
    let logo = crate::branding_assets::png(33, 17);
    tenantry::branding::assets::upload(&ctx, Asset::Logo, &logo, "test")
        .await
        .expect("logo");
    let domain = tenantry::domains::add(&app.engine, ctx.tenant(), "bravo-secret.test", "test")
        .await
        .expect("domain");
    let key = tenantry::identity::api_keys::create(
        &ctx,
        &tenantry::identity::Actor::of_member(member.clone()),
        tenantry::identity::api_keys::NewKey::parse("Bravo secret key", "admin", "", "")
            .expect("key"),
    )
    .await
    .expect("api key");
    // B's owner signed in: a session a revocation could name.
    let mut bravo_owner = app.owner_client("bravo").await;
    let account = bravo_owner
        .server_fn::<tenantry_app::features::account::api::MyAccount>(&[])
        .await;
    let session_handle = account.json()["sessions"][0]["handle"]
        .as_str()
        .expect("a session handle")
        .to_owned();
    let invitation = tenantry::identity::invitations::invite(
        &ctx,
        &tenantry::identity::Actor::of_member(member.clone()),
        "bravo-secret-invitee@example.com",
        "member",
    )
    .await
    .expect("invitation");
    // Usage, and a final invoice (of last month, when it did not exist yet).
    tenantry::plans::meters::save(
        &app.engine,
        &tenantry::plans::meters::MeterInput {
            key: "widgets".into(),
            name: "Widgets".into(),
            aggregation: "sum".into(),
            ..Default::default()
        },
        "test",
    )
    .await
    .expect("meter");
    let db = ctx.db().await.expect("db");
    let rules = tenantry::billing::usage::Rules {
        meters: &app.engine.policy().await.expect("policy").meters,
        now: chrono::Utc::now(),
        late_hours: 72,
        platform: false,
    };
    let batch = [json!({"id": "bravo-secret-event", "meter": "widgets", "quantity": 42})];
    tenantry::billing::usage::ingest(&db, &batch, &rules)
        .await
        .expect("usage");
    db.commit().await.expect("commit");
    // A finished data export of B's.
    let jobs = app.run_jobs();
    let export = tenantry::exports::request(&app.engine, ctx.tenant(), "test")
        .await
        .expect("export");
    let mut exported = false;
    for _ in 0..200 {
        let list = tenantry::exports::list(&app.engine, ctx.tenant())
            .await
            .expect("exports");
        if list
            .iter()
            .any(|e| e.id == export.id && e.state == tenantry::exports::DONE)
        {
            exported = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(exported, "B's export was produced");
    jobs.stop().await;
    let job_id = tenantry::jobs::list(&ctx, 50)
        .await
        .expect("B's jobs")
        .into_iter()
        .find(|j| j.kind == <tenantry::exports::ProduceExport as tenantry::jobs::TenantJob>::KIND)
        .expect("B's export job")
        .id
        .to_string();
    // Single sign-on through B's own provider, its client secret sealed.
    let provider = OidcProvider::start();
    let sso = crate::sso::configure(app, "bravo", &provider.issuer, &[]).await;
    assert_eq!(sso.status, StatusCode::OK, "{}", sso.text);
    // A plan override of B's and quota use counted against it.
    let events = tenantry::plans::registry::EVENTS_PER_DAY;
    let input = tenantry::plans::overrides::OverrideInput {
        key: events.into(),
        value: "1000".into(),
        reason: "bravo secret deal".into(),
        expires_at: String::new(),
    };
    tenantry::plans::overrides::set(&app.engine, "bravo", &input, "test")
        .await
        .expect("override");
    let counted = tenantry::plans::quota::consume(&app.ctx("bravo").await, events, 7)
        .await
        .expect("quota");
    assert_eq!(counted.used, 7);
    let last_month = tenantry::billing::period::Period::containing(chrono::Utc::now()).previous();
    let invoice = tenantry::billing::invoices::finalize(&app.engine, &ctx, last_month)
        .await
        .expect("invoice");
    let (offer_id, purchase_id) = crate::connect::victim_sale(&ctx).await;
    Victim {
        invoice_number: invoice.number.clone(),
        offer_id: offer_id.clone(),
        purchase_id: purchase_id.clone(),
        ctx,
        project_id: project.id.to_string(),
        task_id: task.id.to_string(),
        member_id: member.id.to_string(),
        endpoint_id: endpoint.endpoint.id.to_string(),
        delivery_id: delivery_id.clone(),
        domain_id: domain.id.to_string(),
        key_id: key.key.id.to_string(),
        key_secret: key.secret.clone(),
        invitation_id: invitation.id.to_string(),
        session_handle,
        export_id: export.id.to_string(),
        job_id: job_id.clone(),
        since: chrono::Utc::now(),
        secrets: vec![
            export.id.to_string(),
            job_id,
            "bravo-secret-event".into(),
            invoice.number.clone(),
            invitation.id.to_string(),
            "bravo-secret-invitee".into(),
            key.key.id.to_string(),
            key.key.prefix.clone(),
            key.secret.clone(),
            domain.id.to_string(),
            domain.txt_value.clone(),
            project.id.to_string(),
            task.id.to_string(),
            member.id.to_string(),
            "Bravo secret".into(),
            "bravo-secret.example".into(),
            "bravo-secret.test".into(),
            endpoint.endpoint.id.to_string(),
            endpoint.secret.clone(),
            endpoint.secret[..12].to_owned(),
            delivery_id,
            "s3cret-of-the-client".into(),
            "bravo secret deal".into(),
            provider.issuer.clone(),
            offer_id,
            purchase_id,
            "Bravo secret coaching".into(),
            crate::connect::VICTIM_ACCOUNT.into(),
        ],
        _provider: provider,
    }
}

/// Everything of B's that an attack could change.
pub(crate) async fn snapshot(app: &TestApp, v: &Victim) -> String {
    let db = v.ctx.db().await.expect("db");
    let projects = projects::list(&db).await.expect("projects");
    let tasks = tasks::list(&db, projects[0].id).await.expect("tasks");
    let members = members::list(&db).await.expect("members");
    // Its usage.
    // The period B's usage was recorded in, not the one a long run ends in.
    let period = tenantry::billing::period::Period::containing(v.since);
    let meters = app.engine.policy().await.expect("policy").meters.clone();
    let usage = tenantry::billing::usage::summary(&meters, &db, period)
        .await
        .expect("usage");
    let usage: Vec<_> = usage.iter().map(|m| (&m.key, m.total)).collect();
    // Its quota counters, every period (a run may cross midnight).
    let quota = tenantry::entities::tenant::quota_usage::Entity::find()
        .all(&db)
        .await
        .expect("quota");
    // Done with B's own transaction before the reads that open their own.
    db.commit().await.expect("commit");
    let (tenant, branding) = tenantry::catalog::tenants::get(&app.engine, "bravo")
        .await
        .expect("tenant");
    let owner = Owner::of(&v.ctx);
    let hooks = endpoints::list(&app.engine, owner).await.expect("hooks");
    let endpoint = parse_uuid(&v.endpoint_id);
    let log = delivery::log(&app.engine, owner, endpoint, "", &Place::newest())
        .await
        .expect("log")
        .rows;
    // Attempts and timestamps move as the dispatcher works; the attack must
    // not change what the endpoints and deliveries are.
    let log: Vec<_> = log.iter().map(|d| (d.id, d.event_id, &d.status)).collect();
    let domains = tenantry::domains::list(&app.engine, v.ctx.tenant())
        .await
        .expect("domains");
    let domains: Vec<_> = domains
        .iter()
        .map(|d| (d.id, &d.hostname, &d.state, d.is_primary, &d.txt_value))
        .collect();
    let logo = tenantry::branding::assets::fetch(&v.ctx, Asset::Logo)
        .await
        .expect("logo")
        .map(|bytes| bytes.len());
    let invitations = tenantry::identity::invitations::list(&v.ctx)
        .await
        .expect("invitations");
    let invitations: Vec<_> = invitations
        .iter()
        .map(|i| (i.id, &i.email, i.role, i.state, i.expires_at))
        .collect();
    let keys = tenantry::identity::api_keys::list(&v.ctx)
        .await
        .expect("keys");
    let keys: Vec<_> = keys
        .iter()
        .map(|k| (k.id, &k.name, k.role, k.revoked_at))
        .collect();
    let exports = tenantry::exports::list(&app.engine, v.ctx.tenant())
        .await
        .expect("exports");
    let exports: Vec<_> = exports
        .iter()
        .map(|e| (e.id, &e.state, &e.sha256, e.expires_at))
        .collect();
    // Its plan and overrides (changed only by superadmins on the console).
    let overrides = app.ctx("bravo").await.tenant().overrides.clone();
    // Its invoices and standing.
    let invoices = tenantry::billing::invoices::list(&v.ctx)
        .await
        .expect("invoices");
    let invoices: Vec<_> = invoices
        .iter()
        .map(|i| (&i.number, i.total, &i.status))
        .collect();
    let standing = tenantry::billing::accounts::summary(&v.ctx)
        .await
        .expect("standing");
    // Its single sign-on, quota use and own audit log.
    let sso = tenantry::identity::sso::config::view(&v.ctx)
        .await
        .expect("sso")
        .map(|c| (c.issuer, c.client_id, c.has_client_secret, c.updated_at));
    let audit = tenantry::audit::for_tenant(&v.ctx, 500)
        .await
        .expect("audit");
    let audit: Vec<_> = audit.iter().map(|e| (e.at, &e.actor, &e.action)).collect();
    // Its payments: account, offers, purchases.
    let sales = crate::connect::sales_of(&v.ctx).await;
    format!(
        "{projects:?}{tasks:?}{members:?}{:?}{}{overrides:?}{branding:?}{hooks:?}{log:?}{domains:?}{logo:?}{keys:?}{invitations:?}{usage:?}{invoices:?}{standing:?}{exports:?}{sso:?}{quota:?}{audit:?}{sales}",
        tenant.state, tenant.plan
    )
}

pub(crate) fn assert_no_leak(v: &Victim, what: &str, body: &str) {
    for secret in &v.secrets {
        assert!(
            !body.contains(secret.as_str()),
            "{what} leaked {secret}: {body}"
        );
    }
}

pub(crate) async fn every_api_route_aimed_at_tenant_b_ids_is_404_and_leaves_b_unchanged(
    app: TestApp,
) {
    // B has single sign-on configured: its sealed client secret needs a key.
    let app = crate::sso::app_with_key(app).await;
    app.tenant("alpha").await;
    let v = victim(&app).await;
    let before = snapshot(&app, &v).await;
    let mut a = app.owner_client("alpha").await;
    let body = json!({"name": "pwned", "title": "pwned", "role": "viewer", "email": "owner@bravo.test", "password": crate::harness::PASSWORD,
        "events": [{"id": "bravo-secret-event", "meter": "widgets", "quantity": 1000}]});
    let routes = tenantry_server::api::table();
    assert!(routes.len() >= 8, "route table is populated");
    for route in routes {
        // Each route aimed at B's object of the route's own kind.
        let target = if route.path.starts_with("/api/v1/api-keys/") {
            &v.key_id
        } else if route.path.starts_with("/api/v1/exports/") {
            &v.export_id
        } else {
            &v.project_id
        };
        let path = route.path.replace("{id}", target);
        let res = a.json_request(route.method, &path, body.clone()).await;
        let what = format!("{} {}", route.method, route.path);
        if route.path.contains("{id}") {
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{what}: {}", res.text);
            assert_eq!(res.json()["error"]["code"], "not_found", "{what}");
        } else {
            // No B id to aim at: signing in with B's credentials on A's host
            // fails; listing and creating stay inside A.
            let expected = if route.path == "/api/v1/session" {
                res.status == StatusCode::UNAUTHORIZED
            } else {
                res.status.is_success()
            };
            assert!(expected, "{what}: {}", res.status);
        }
        assert_no_leak(&v, &what, &res.text);
        assert_eq!(snapshot(&app, &v).await, before, "{what} changed tenant B");
        if route.path == "/api/v1/session" {
            a = app.owner_client("alpha").await;
        }
    }
}

/// Every form field any server function takes, filled with B's ids and
/// plausible values, so each function gets what it needs to try its worst.
pub(crate) fn attack_form(v: &Victim) -> Vec<(&'static str, String)> {
    vec![
        ("id", v.project_id.clone()),
        ("project_id", v.project_id.clone()),
        ("task_id", v.task_id.clone()),
        ("user_id", v.member_id.clone()),
        ("slug", "bravo".into()),
        ("confirm", "bravo".into()),
        ("to", "database".into()),
        ("name", "pwned".into()),
        ("title", "pwned".into()),
        ("email", "owner@bravo.test".into()),
        ("password", crate::harness::PASSWORD.into()),
        // A's own password change: a wrong current password, B's handle.
        ("current_password", "not anyone's password".into()),
        ("new_password", crate::harness::PASSWORD.into()),
        ("handle", v.session_handle.clone()),
        // Two-factor: a code no one's factor takes, a ticket no key opens.
        ("code", "123456".into()),
        ("ticket", "pwned".into()),
        ("required", "false".into()),
        ("invite", "pwned".into()),
        ("new_email", "owner@bravo.test".into()),
        ("display_name", "pwned".into()),
        ("role", "member".into()),
        ("done", "true".into()),
        ("query", "".into()),
        ("state", "".into()),
        ("status", "".into()),
        ("after", "".into()),
        ("theme", "dark".into()),
        ("admin_email", "x@pwned.test".into()),
        ("admin_password", crate::harness::PASSWORD.into()),
        ("primary_color", "#000000".into()),
        ("accent_color", "#000000".into()),
        ("logo_url", "".into()),
        ("login_text", "".into()),
        ("endpoint_id", v.endpoint_id.clone()),
        ("delivery_id", v.delivery_id.clone()),
        ("url", "https://pwned.example/hook".into()),
        ("description", "pwned".into()),
        ("events", "*".into()),
        ("enabled", "false".into()),
        ("pending", "".into()),
        ("domain_id", v.domain_id.clone()),
        ("hostname", "pwned.example.test".into()),
        ("product_name", "pwned".into()),
        ("support_email", "pwned@pwned.test".into()),
        ("primary_color_dark", "#000000".into()),
        ("accent_color_dark", "#000000".into()),
        ("key", "max_projects".into()),
        ("plan", "standard".into()),
        ("tier", "pwned".into()),
        ("value", "true".into()),
        ("reason", "pwned".into()),
        ("kind", "boolean".into()),
        ("on", "true".into()),
        ("key_id", v.key_id.clone()),
        ("expires_in_days", "30".into()),
        ("requests_per_second", "".into()),
        ("invitation_id", v.invitation_id.clone()),
        ("job_id", v.job_id.clone()),
        ("token", "ab".repeat(32)),
        // Single sign-on settings: an issuer that never answers discovery.
        ("issuer", "http://127.0.0.1:1".into()),
        ("client_id", "pwned".into()),
        ("client_secret", "".into()),
        ("allowed_domains", "example.com".into()),
        ("default_role", "member".into()),
        ("break_glass_email", "".into()),
        // Billing: credit for B, and B's invoice marked paid.
        ("amount", "100000".into()),
        ("number", v.invoice_number.clone()),
        ("aggregation", "sum".into()),
        // Payments: B's offer and purchase, a price and currency.
        ("offer_id", v.offer_id.clone()),
        ("purchase_id", v.purchase_id.clone()),
        ("price", "1.00".into()),
        ("currency", "eur".into()),
        ("returned", "true".into()),
        ("period", "".into()),
    ]
}

/// Functions that take one of B's ids must answer exactly 404.
const ID_TAKING: &[&str] = &[
    "rename_project",
    "delete_project",
    "get_project",
    "create_task",
    "set_task_done",
    "rename_task",
    "delete_task",
    "change_role",
    "remove_member",
    "rotate_webhook_secret",
    "set_webhook_enabled",
    "remove_webhook",
    "webhook_deliveries",
    "resend_delivery",
    "verify_domain",
    "make_domain_primary",
    "remove_domain",
    "revoke_api_key",
    "resend_invitation",
    "revoke_invitation",
    "send_verification",
    "revoke_my_session",
    "archive_offer",
    "refund_purchase",
    "buy_offer",
    "my_purchase",
];

pub(crate) async fn every_server_function_aimed_at_tenant_b_leaks_nothing_and_leaves_b_unchanged(
    app: TestApp,
) {
    // B has single sign-on configured: its sealed client secret needs a key.
    let app = crate::sso::app_with_key(app).await;
    app.tenant("alpha").await;
    let v = victim(&app).await;
    let before = snapshot(&app, &v).await;
    let form = attack_form(&v);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method.to_string()))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 20,
        "all server functions are registered: {paths:?}"
    );
    for (path, method) in paths {
        if path.contains("logout") {
            continue; // would end A's session; it touches no tenant data
        }
        let mut a: Client = app.owner_client("alpha").await;
        let res = if method == "GET" {
            a.get(&path).await
        } else {
            a.post_form(&path, &form).await
        };
        assert!(
            !res.status.is_server_error(),
            "{path}: {} {}",
            res.status,
            res.text
        );
        // A 400 means the arguments did not even deserialise: the function
        // was not really attacked, so the form above lacks one of its fields.
        assert_ne!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{path} was not reached: {}",
            res.text
        );
        assert_no_leak(&v, &path, &res.text);
        assert_eq!(snapshot(&app, &v).await, before, "{path} changed tenant B");
        if ID_TAKING
            .iter()
            .any(|name| path.contains(&format!("/{name}")))
        {
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.text);
        }
        let mut anon = app.client("alpha.localhost");
        let res = anon.post_form(&path, &form).await;
        assert_no_leak(&v, &format!("anonymous {path}"), &res.text);
        assert_eq!(
            snapshot(&app, &v).await,
            before,
            "anonymous {path} changed tenant B"
        );
    }
}

async fn tenant_a_session_cookie_is_anonymous_on_tenant_b_host(app: TestApp) {
    // B has single sign-on configured: its sealed client secret needs a key.
    let app = crate::sso::app_with_key(app).await;
    app.tenant("alpha").await;
    let v = victim(&app).await;
    let a = app.owner_client("alpha").await;
    let mut carried = a.on_host("bravo.localhost");
    let res = carried.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    assert_no_leak(&v, "carried cookie", &res.text);
    let res = carried
        .get(&format!("/api/v1/projects/{}", v.project_id))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

async fn forwarded_host_from_an_untrusted_peer_is_ignored(app: TestApp) {
    // B has single sign-on configured: its sealed client secret needs a key.
    let app = crate::sso::app_with_key(app).await;
    app.tenant("alpha").await;
    let v = victim(&app).await;
    let mut a = app.owner_client("alpha").await;
    for (name, value) in [
        ("x-forwarded-host", "bravo.localhost"),
        ("forwarded", "host=bravo.localhost"),
    ] {
        let req = axum::http::Request::get("/api/v1/projects")
            .header(name, value)
            .body(axum::body::Body::empty())
            .expect("request");
        let res = a.send(req).await;
        assert_eq!(res.status, StatusCode::OK, "still tenant A: {}", res.text);
        assert_no_leak(&v, name, &res.text);
    }
}

/// The logo and favicon routes name no tenant: on A's host they serve and
/// change A's files only, whatever the request says.
pub(crate) async fn every_brand_asset_route_serves_and_changes_only_the_hosts_tenant(app: TestApp) {
    // B has single sign-on configured: its sealed client secret needs a key.
    let app = crate::sso::app_with_key(app).await;
    app.tenant("alpha").await;
    let v = victim(&app).await;
    let before = snapshot(&app, &v).await;
    let bravo_logo = tenantry::branding::assets::fetch(&v.ctx, Asset::Logo)
        .await
        .expect("logo")
        .expect("bravo has a logo");
    let mut a = app.owner_client("alpha").await;
    let routes = tenantry_server::brand_assets::table();
    assert!(routes.len() >= 2);
    for route in routes {
        for (file, asset) in [("logo.png", "logo"), ("favicon.png", "favicon")] {
            let path = route.path.replace("{file}", file).replace("{asset}", asset);
            let res = if route.method == "GET" {
                a.get(&path).await
            } else {
                crate::branding_assets::upload(
                    &mut a,
                    asset,
                    &crate::branding_assets::png(5, 5),
                    false,
                )
                .await
            };
            let what = format!("{} {path}", route.method);
            assert!(!res.status.is_server_error(), "{what}: {}", res.text);
            assert_ne!(
                res.text.as_bytes(),
                bravo_logo.as_slice(),
                "{what} served B's logo"
            );
            assert_eq!(snapshot(&app, &v).await, before, "{what} changed tenant B");
        }
    }
}

/// B's API key, and a platform token issued for it on B's host, presented on
/// A's host against every API route: refused like no credential at all, and
/// B is untouched.
async fn tenant_b_api_key_and_token_are_refused_on_every_route_of_tenant_a_host(app: TestApp) {
    // B has single sign-on configured: its sealed client secret needs a key.
    let app = crate::sso::app_with_key(app).await;
    app.tenant("alpha").await;
    let v = victim(&app).await;
    let before = snapshot(&app, &v).await;
    let mut on_bravo = app.bearer_client("bravo.localhost", &v.key_secret);
    let res = on_bravo.post_json("/api/v1/token", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let token = res.json()["token"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let body = json!({"name": "pwned", "title": "pwned", "role": "admin"});
    for credential in [v.key_secret.clone(), token] {
        for route in tenantry_server::api::table() {
            let path = route.path.replace("{id}", &v.project_id);
            let mut a = app.bearer_client("alpha.localhost", &credential);
            let res = a.json_request(route.method, &path, body.clone()).await;
            let what = format!(
                "B's credential on A's host: {} {}",
                route.method, route.path
            );
            if route.need != tenantry::authz::Need::Anyone {
                assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}: {}", res.text);
            }
            assert_no_leak(&v, &what, &res.text);
        }
    }
    assert_eq!(snapshot(&app, &v).await, before, "B changed");
}
