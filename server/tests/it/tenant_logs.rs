//! Issue 23: every JSON log line the server writes about a tenant's work
//! names the tenant at the top level. The real binary serves requests of two
//! tenants (API calls, pages, refusals) and runs their jobs, then stops; its
//! whole log is read back: every line is JSON, every line written inside a
//! tenant's request carries `request_id` and that tenant's `tenant_id`,
//! every line inside a job carries `job_id` and its tenant's `tenant_id`,
//! and no line mentions a tenant's id anywhere without naming it as
//! `tenant_id`.

use crate::harness::TestApp;
use crate::peer::{free_port, wait_listening};
use secrecy::ExposeSecret;
use serde_json::Value;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_scoped_log_line_names_its_tenant() {
    let app = TestApp::postgres().await;
    let mut tenants = HashMap::new();
    let mut keys = HashMap::new();
    for slug in ["alpha", "bravo"] {
        let ctx = app.tenant(slug).await;
        keys.insert(slug, app.api_key(slug, "admin").await);
        // A job for the server to run: an export of the tenant.
        tenantry::exports::request(&app.engine, ctx.tenant(), "test")
            .await
            .expect("export requested");
        tenants.insert(slug, ctx.id().to_string());
    }
    let dir = tempfile::tempdir().expect("dir");
    let log_path = dir.path().join("server.log");
    let port = free_port();
    let s = &app.settings;
    let url =
        |u: &Option<secrecy::SecretString>| u.as_ref().expect("pg").expose_secret().to_owned();
    let mut server = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .arg("serve")
        .env("TENANTRY_SIGNUP__WARM_UNITS", "0")
        .env("TENANTRY_DATABASE_URL", url(&s.database_url))
        .env("TENANTRY_OWNER_DATABASE_URL", url(&s.owner_database_url))
        .env("TENANTRY_TENANT_DATABASE_PREFIX", &s.tenant_database_prefix)
        .env("TENANTRY_DATA_DIR", s.data_dir.display().to_string())
        .env("TENANTRY_LISTEN", format!("127.0.0.1:{port}"))
        .env("TENANTRY_LOG_FORMAT", "json")
        .env("TENANTRY_LOG", "info")
        .env("TENANTRY_JOB_POLL_MS", "50")
        // The test engine's key-encryption key: the exports are sealed.
        .env(
            "TENANTRY_SECRET_KEY",
            secrecy::ExposeSecret::expose_secret(s.secret_key.as_ref().expect("secret_key")),
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).expect("log file"))
        .spawn()
        .expect("server starts");
    wait_listening(port, "the server").await;

    // Requests of each tenant, and the ids the server gave them.
    let client = reqwest::Client::new();
    let mut request_tenant: HashMap<String, String> = HashMap::new();
    for (slug, tenant) in &tenants {
        let host = format!("{slug}.localhost");
        let calls = [
            ("POST", "/api/v1/projects", Some(&keys[slug])),
            ("GET", "/api/v1/projects", Some(&keys[slug])),
            (
                "GET",
                "/api/v1/projects/00000000-0000-0000-0000-000000000000",
                Some(&keys[slug]),
            ),
            ("GET", "/api/v1/projects", None),
            ("GET", "/login", None),
            ("GET", "/no-such-page", None),
        ];
        for (method, path, key) in calls {
            let url = format!("http://127.0.0.1:{port}{path}");
            let mut req = match method {
                "POST" => client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(r#"{"name":"logged"}"#),
                _ => client.get(url),
            }
            .header("host", &host);
            if let Some(key) = key {
                req = req.bearer_auth(key);
            }
            let res = req.send().await.expect("answered");
            let id = res.headers()["x-request-id"]
                .to_str()
                .expect("id")
                .to_owned();
            request_tenant.insert(id, tenant.clone());
        }
    }
    // The exports run; then the server stops (SIGTERM) and flushes its log.
    let mut jobs_done = false;
    for _ in 0..200 {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if text.matches("\"job done\"").count() >= 2 {
            jobs_done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    assert!(jobs_done, "the two exports ran");

    let text = std::fs::read_to_string(&log_path).expect("log");
    let (mut in_requests, mut in_jobs) = (0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let json: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let top = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        let span_named = |name: &str| {
            json["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|s| s["name"] == name))
        };
        if let Some(tenant) = top("request_id").and_then(|id| request_tenant.get(&id).cloned()) {
            in_requests += 1;
            assert_eq!(
                top("tenant_id").as_ref(),
                Some(&tenant),
                "a tenant's request: {line}"
            );
        }
        if span_named("job") {
            in_jobs += 1;
            assert!(
                top("job_id").is_some(),
                "a job's line without job_id: {line}"
            );
            assert!(
                top("tenant_id").is_some(),
                "a job's line without tenant_id: {line}"
            );
        }
        if span_named("request") {
            assert!(
                top("request_id").is_some(),
                "a request's line without request_id: {line}"
            );
        }
        for tenant in tenants.values() {
            if line.contains(tenant.as_str()) {
                assert_eq!(
                    top("tenant_id").as_ref(),
                    Some(tenant),
                    "names a tenant only inside: {line}"
                );
            }
        }
    }
    // The check saw the lines it is about.
    assert!(
        in_requests >= 12,
        "{in_requests} lines of the tenants' requests"
    );
    assert!(in_jobs >= 2, "{in_jobs} lines of the tenants' jobs");
}
