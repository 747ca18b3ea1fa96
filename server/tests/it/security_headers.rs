//! Security headers (issue 18, point 10): every page carries a
//! Content-Security-Policy whose script nonce is on every script the page
//! has (and no `unsafe-inline` for scripts), framing is refused, MIME
//! sniffing is off everywhere, and HSTS is sent when served over https.

use crate::harness::TestApp;
use crate::on_both_backends;
use axum::http::{header, StatusCode};

on_both_backends!(pages_run_only_the_scripts_their_policy_names_and_nothing_frames_them);

fn nonce_of(policy: &str) -> String {
    let at = policy.find("'nonce-").expect("a nonce") + "'nonce-".len();
    policy[at..].split('\'').next().expect("nonce").to_owned()
}

async fn pages_run_only_the_scripts_their_policy_names_and_nothing_frames_them(app: TestApp) {
    app.tenant("alpha").await;
    let mut anonymous = app.client("alpha.localhost");
    let mut nonces = Vec::new();
    for path in ["/login", "/login", "/no-such-page"] {
        let page = anonymous.get(path).await;
        let policy = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("policy")
            .to_owned();
        let scripts = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .expect("script-src");
        assert!(!scripts.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let nonce = nonce_of(&policy);
        assert!(nonce.len() >= 16, "{nonce}");
        // Every script on the page carries this response's nonce.
        let tags = page.text.matches("<script").count();
        let nonced = page.text.matches(&format!("nonce=\"{nonce}\"")).count();
        assert!(tags >= 1, "{path}: the page hydrates");
        assert!(
            nonced >= tags,
            "{path}: {tags} scripts, {nonced} with the nonce"
        );
        assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce per response");

    let mut owner = app.owner_client("alpha").await;
    let json = owner.get("/api/v1/projects").await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(json.headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(!json.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));

    let https = app
        .with_router_settings(&[("secure_cookies", "true")])
        .await;
    let mut client = https.client("alpha.localhost");
    let res = client.get("/healthz").await;
    assert!(
        res.headers[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .expect("hsts")
            .starts_with("max-age="),
        "{:?}",
        res.headers
    );
}
