//! A real load balancer for the multi-instance test: Debian's HAProxy
//! (scripts/setup installs it), started per test in front of the server
//! instances, round robin, with health checks on `/healthz`.
//!
//! Its retry policy is the one `docs/scale-out.md` recommends: a request
//! whose connection failed (nothing was sent) goes to another instance,
//! whatever its method; a GET or HEAD whose instance died before answering
//! is sent again to another; a write that reached an instance is never
//! replayed, since the first instance may have committed it.

use crate::peer::{free_port, wait_listening};
use std::io::{Read, Write};
use std::time::Duration;

pub struct HaProxy {
    pub port: u16,
    process: std::process::Child,
    dir: tempfile::TempDir,
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl HaProxy {
    /// In front of `instances` (name, port); answers once it listens.
    pub async fn start(instances: &[(String, u16)]) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        let servers: String = instances
            .iter()
            .map(|(name, port)| format!("    server {name} 127.0.0.1:{port}\n"))
            .collect();
        let config = format!(
            "global
    maxconn 2000
    stats socket {sock} mode 600 level admin

defaults
    mode http
    timeout connect 500ms
    timeout client 30s
    timeout server 10s
    timeout queue 5s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response junk-response response-timeout

frontend web
    bind 127.0.0.1:{port}
    default_backend instances

backend instances
    balance roundrobin
    # Only reads are replayed once sent: a write may have committed.
    http-request disable-l7-retry unless METH_GET
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server check inter 200ms fall 2 rise 2
    # Which instance answered (the test counts it; a deployment would not).
    http-response set-header X-Served-By %s
{servers}",
            sock = dir.path().join("admin.sock").display(),
        );
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).expect("config");
        let process = std::process::Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("haproxy runs (scripts/setup installs it)");
        wait_listening(port, "haproxy").await;
        Self { port, process, dir }
    }

    /// A line of HAProxy's runtime API (`show stat`, `show servers state`).
    fn admin(&self, command: &str) -> String {
        let mut socket =
            std::os::unix::net::UnixStream::connect(self.dir.path().join("admin.sock"))
                .expect("haproxy's admin socket");
        socket
            .write_all(format!("{command}\n").as_bytes())
            .expect("command");
        let mut answer = String::new();
        socket.read_to_string(&mut answer).expect("answer");
        answer
    }

    /// `show stat` as rows of (column, value), one per frontend, backend
    /// and server.
    fn stats(&self) -> Vec<std::collections::HashMap<String, String>> {
        let stat = self.admin("show stat");
        let mut lines = stat.lines();
        let header: Vec<String> = lines
            .next()
            .expect("header")
            .trim_start_matches("# ")
            .split(',')
            .map(str::to_owned)
            .collect();
        lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                header
                    .iter()
                    .cloned()
                    .zip(l.split(',').map(str::to_owned))
                    .collect()
            })
            .collect()
    }

    fn row(&self, server: &str) -> std::collections::HashMap<String, String> {
        self.stats()
            .into_iter()
            .find(|r| r["pxname"] == "instances" && r["svname"] == server)
            .unwrap_or_else(|| panic!("no stat row for {server}"))
    }

    /// The backend's counters: (retries, redispatches).
    pub fn retries(&self) -> (u64, u64) {
        let row = self.row("BACKEND");
        let number = |c: &str| row[c].parse().unwrap_or(0);
        (number("wretr"), number("wredis"))
    }

    /// Whether HAProxy's health checks say instance `name` is up.
    pub fn is_up(&self, name: &str) -> bool {
        self.row(name)["status"] == "UP"
    }

    /// Waits until every instance named is up, or panics after `limit`.
    pub async fn wait_up(&self, names: &[&str], limit: Duration) {
        let started = std::time::Instant::now();
        while !names.iter().all(|n| self.is_up(n)) {
            assert!(
                started.elapsed() < limit,
                "haproxy does not see {names:?} up: {}",
                self.admin("show stat")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
