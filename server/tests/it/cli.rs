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

#[test]
fn cli_creates_lists_suspends_and_deletes_tenants_and_rejects_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    let env = [(
        "TENANTRY_DATA_DIR",
        dir.path().join("data").display().to_string(),
    )];
    assert!(tenantry(&env, &["migrate"], "").ok);

    let created = tenantry(
        &env,
        &[
            "tenant",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme",
            "--admin-email",
            "a@acme.test",
        ],
        &format!("{PASSWORD}\n"),
    );
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
    assert!(!weak.ok && weak.stderr.contains("password"));
    assert!(tenantry(&env, &["audit-isolation"], "").ok);
}

#[test]
fn audit_isolation_fails_when_the_runtime_role_is_a_superuser() {
    // Runs against the shared test template as the superuser: a finding, so
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
