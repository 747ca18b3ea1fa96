//! The tenant's own audit log (issue 18, point 12): changes to its branding,
//! domains, SSO, webhooks and members are there, each with its actor and
//! what it was before and after. (Members and keys: `tokens`, `api_keys`;
//! append-only to the runtime role: the isolation self-audit.)

use crate::harness::{Client, TestApp};
use crate::on_both_backends;
use crate::sso::{app_with_key, configure};
use axum::http::StatusCode;
use tenantry_app::features::domains::api::AddDomain;
use tenantry_app::features::members::api::SaveBranding;
use tenantry_app::features::tenant_audit::api::ListTenantAudit;
use tenantry_app::features::webhooks::api::{CreateWebhook, SetWebhookEnabled};

on_both_backends!(
    changes_to_the_tenants_face_and_access_are_in_its_audit_log_with_before_and_after
);

async fn entry(owner: &mut Client, action: &str) -> serde_json::Value {
    let audit = owner.server_fn::<ListTenantAudit>(&[]).await.json();
    audit["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["action"] == action)
        .cloned()
        .unwrap_or_else(|| panic!("no {action} in {audit}"))
}

async fn changes_to_the_tenants_face_and_access_are_in_its_audit_log_with_before_and_after(
    app: TestApp,
) {
    let provider = crate::oidc_provider::OidcProvider::start();
    let app = app_with_key(app).await;
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let by_owner = "member:owner@alpha.test";

    let res = owner
        .server_fn::<SaveBranding>(&[
            ("display_name", "Alpha Rockets"),
            ("primary_color", "#b91c1c"),
            ("accent_color", "#166534"),
            ("logo_url", ""),
            ("login_text", ""),
        ])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let branding = entry(&mut owner, "branding.changed").await;
    assert_eq!(branding["actor"], by_owner);
    let detail = branding["detail"].as_str().expect("detail");
    assert!(
        detail.contains("display_name: alpha Inc -> Alpha Rockets"),
        "{detail}"
    );
    assert!(
        detail.contains("primary_color: ") && detail.contains(" -> #b91c1c"),
        "{detail}"
    );
    assert!(
        !detail.contains("login_text"),
        "unchanged fields are left out: {detail}"
    );

    let res = owner
        .server_fn::<AddDomain>(&[("slug", ""), ("hostname", "app.alpha-rockets.test")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let domain = entry(&mut owner, "domain.added").await;
    assert_eq!(domain["actor"], by_owner);
    assert_eq!(domain["detail"], "app.alpha-rockets.test");

    let res = configure(&app, "alpha", &provider.issuer, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let sso = entry(&mut owner, "sso.configured").await;
    let detail = sso["detail"].as_str().expect("detail");
    assert!(
        detail.contains(&format!("issuer: (none) -> {}", provider.issuer)),
        "{detail}"
    );
    assert!(detail.contains("client_secret replaced"), "{detail}");
    assert!(!detail.contains("s3cret"), "never the secret: {detail}");

    let res = owner
        .server_fn::<CreateWebhook>(&[
            ("url", "https://hooks.example.com/in"),
            ("description", "test"),
            ("events", "*"),
        ])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let id = res.json()["endpoint"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = owner
        .server_fn::<SetWebhookEnabled>(&[("endpoint_id", id.as_str()), ("enabled", "false")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let disabled = entry(&mut owner, "webhook.disabled").await;
    assert_eq!(disabled["actor"], by_owner);
    assert!(
        disabled["detail"]
            .as_str()
            .is_some_and(|d| d.ends_with("enabled: true -> false")),
        "{disabled}"
    );
}
