//! The operator CLI, run as the real binary.

use crate::harness::PASSWORD;
use std::io::Write;
use std::process::{Command, Stdio};

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn tenantry(envs: &[(&str, String)], args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .env("TENANTRY_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tenantry");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `tenant create` for `acme`, owner `a@acme.test`, password from stdin.
fn create_acme(env: &[(&str, String)]) -> Run {
    let args = [
        "tenant",
        "create",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--admin-email",
        "a@acme.test",
    ];
    tenantry(env, &args, &format!("{PASSWORD}\n"))
}

#[test]
fn cli_creates_lists_suspends_and_deletes_tenants_and_rejects_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    let env = [(
        "TENANTRY_DATA_DIR",
        dir.path().join("data").display().to_string(),
    )];
    // No explicit `migrate`: on the embedded default every command migrates.

    let created = create_acme(&env);
    assert!(created.ok, "{}", created.stderr);
    let json: serde_json::Value = serde_json::from_str(created.stdout.trim()).expect("JSON");
    assert_eq!(json["slug"], "acme");
    assert_eq!(json["state"], "active");

    for (args, field) in [
        (
            vec![
                "--slug",
                "admin",
                "--name",
                "X",
                "--admin-email",
                "a@x.test",
            ],
            "slug",
        ),
        (
            vec!["--slug", "acme", "--name", "X", "--admin-email", "a@x.test"],
            "slug",
        ),
        (
            vec!["--slug", "okay", "--name", "X", "--admin-email", "nope"],
            "admin_email",
        ),
    ] {
        let mut full = vec!["tenant", "create"];
        full.extend(args);
        let run = tenantry(&env, &full, &format!("{PASSWORD}\n"));
        assert!(!run.ok);
        assert!(run.stderr.contains(field), "{field}: {}", run.stderr);
    }
    let short = tenantry(
        &env,
        &[
            "tenant",
            "create",
            "--slug",
            "okay",
            "--name",
            "X",
            "--admin-email",
            "a@x.test",
        ],
        "short\n",
    );
    assert!(
        !short.ok && short.stderr.contains("admin_password"),
        "{}",
        short.stderr
    );

    let list = tenantry(&env, &["tenant", "list", "--json"], "");
    let list: serde_json::Value = serde_json::from_str(list.stdout.trim()).expect("JSON");
    assert_eq!(
        list.as_array().expect("array").len(),
        1,
        "bad input wrote nothing"
    );

    let suspended = tenantry(&env, &["tenant", "suspend", "acme"], "");
    assert!(
        suspended.stdout.contains("\"state\":\"suspended\""),
        "{}",
        suspended.stderr
    );
    assert!(
        !tenantry(&env, &["tenant", "suspend", "acme"], "").ok,
        "already suspended"
    );
    assert!(tenantry(&env, &["tenant", "resume", "acme"], "").ok);
    assert!(tenantry(&env, &["tenant", "delete", "acme"], "").ok);
    assert!(!tenantry(&env, &["tenant", "resume", "nosuch"], "").ok);
    let list = tenantry(&env, &["tenant", "list", "--json"], "");
    assert_eq!(list.stdout.trim(), "[]");

    let admin = tenantry(
        &env,
        &["admin", "create", "--email", "root@x.test"],
        &format!("{PASSWORD}\n"),
    );
    assert!(admin.ok, "{}", admin.stderr);
    assert!(!admin.stdout.contains(PASSWORD), "password never printed");
    let weak = tenantry(&env, &["admin", "create", "--email", "r2@x.test"], "weak\n");
    assert!(
        !weak.ok && weak.stderr.contains("password: must be at least"),
        "{}",
        weak.stderr
    );
    assert!(tenantry(&env, &["audit-isolation"], "").ok);
}

#[test]
fn audit_isolation_fails_when_the_runtime_role_is_a_superuser() {
    // Runs against the maintenance database as the superuser: a finding, so
    // the command (and the server's start-up) must refuse.
    let url = std::env::var("TENANTRY_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let run = tenantry(&[("DATABASE_URL", url)], &["audit-isolation"], "");
    assert!(!run.ok, "superuser runtime role must be a finding");
    assert!(run.stderr.contains("superuser"), "{}", run.stderr);
    let serve = tenantry(
        &[
            (
                "DATABASE_URL",
                std::env::var("TENANTRY_PG_ADMIN_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            ),
            ("TENANTRY_LISTEN", "127.0.0.1:0".into()),
        ],
        &["serve"],
        "",
    );
    assert!(
        !serve.ok && serve.stderr.contains("refusing to serve"),
        "{}",
        serve.stderr
    );
}

#[test]
fn served_requests_log_json_lines_with_request_id_and_tenant_id() {
    use std::io::{BufRead, Read};
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data").display().to_string();
    let env = [("TENANTRY_DATA_DIR", data.clone())];
    let created = create_acme(&env);
    let tenant_id = serde_json::from_str::<serde_json::Value>(created.stdout.trim()).expect("JSON")
        ["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .env("TENANTRY_DATA_DIR", &data)
        .env("TENANTRY_LISTEN", format!("127.0.0.1:{port}"))
        .env("TENANTRY_LOG_FORMAT", "json")
        .env("TENANTRY_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("server starts");
    let mut stream = (0..100)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .expect("server listens");
    stream
        .write_all(b"GET /login HTTP/1.1\r\nHost: acme.localhost\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    server.kill().expect("stop server");
    server.wait().expect("server exits");
    let lines: Vec<serde_json::Value> =
        std::io::BufReader::new(server.stderr.take().expect("stderr"))
            .lines()
            .map(|l| serde_json::from_str(&l.expect("line")).expect("every log line is JSON"))
            .collect();
    let request_line = lines
        .iter()
        .find(|l| l["message"] == "request")
        .expect("a request log line");
    let span = &request_line["spans"][0];
    assert_eq!(span["tenant_id"], tenant_id.as_str());
    assert_eq!(span["path"], "/login");
    // Whose work it is, at the top level of the line (issue 20).
    assert_eq!(request_line["tenant_id"], tenant_id.as_str());
    assert!(request_line["request_id"]
        .as_str()
        .is_some_and(|id| id.len() == 36));
    // Every line written inside a tenant's request names the tenant there.
    for line in &lines {
        let in_tenant_request = line["spans"].as_array().is_some_and(|spans| {
            spans
                .iter()
                .any(|s| s["name"] == "request" && s["tenant_id"].is_string())
        });
        if in_tenant_request {
            assert_eq!(line["tenant_id"], tenant_id.as_str(), "{line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_creates_tenants_in_a_chosen_placement_and_migrates_the_fleet_with_progress() {
    let app = crate::harness::TestApp::postgres().await;
    let db = app.pg_database.clone().expect("postgres");
    let env = [
        (
            "TENANTRY_DATABASE_URL",
            crate::harness::pg_url("tenantry_app", &db),
        ),
        (
            "TENANTRY_OWNER_DATABASE_URL",
            crate::harness::pg_url("tenantry_owner", &db),
        ),
        (
            "TENANTRY_TENANT_DATABASE_PREFIX",
            crate::harness::TENANT_DB_PREFIX.to_owned(),
        ),
    ];
    let mut args = vec!["tenant", "create", "--slug", "acme", "--name", "Acme"];
    args.extend(["--admin-email", "a@acme.test", "--placement", "schema"]);
    let created = tenantry(&env, &args, &format!("{PASSWORD}\n"));
    assert!(created.ok, "{}", created.stderr);
    assert!(
        created.stdout.contains(r#""placement":"schema""#),
        "{}",
        created.stdout
    );
    let bad = tenantry(
        &env,
        &[
            "tenant",
            "create",
            "--slug",
            "beta",
            "--name",
            "Beta",
            "--admin-email",
            "b@beta.test",
            "--placement",
            "cluster",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        !bad.ok && bad.stderr.contains("placement"),
        "{}",
        bad.stderr
    );

    let migrated = tenantry(
        &env,
        &["migrate", "--canary", "1", "--concurrency", "2"],
        "",
    );
    assert!(migrated.ok, "{}", migrated.stderr);
    assert!(
        migrated.stderr.contains("migrating tenants"),
        "{}",
        migrated.stderr
    );
    assert!(
        migrated.stdout.contains("migrations applied"),
        "{}",
        migrated.stdout
    );
    assert!(
        migrated.stdout.contains("1 already current"),
        "{}",
        migrated.stdout
    );

    let moved = tenantry(&env, &["tenant", "move", "acme", "--to", "pool"], "");
    assert!(moved.ok, "{}", moved.stderr);
    assert!(
        moved.stdout.contains(r#""step":"done""#),
        "{}",
        moved.stdout
    );
    assert!(
        moved.stderr.contains("move schema -> pool"),
        "progress: {}",
        moved.stderr
    );
}
