//! A real DNS server for the custom-domain tests: Debian's
//! `pebble-challtestsrv`, started per test on free loopback ports; its
//! management API sets and clears TXT records.

use crate::peer::{free_port, wait_listening};
use std::net::SocketAddr;

pub struct ChallTestSrv {
    child: std::process::Child,
    pub dns: SocketAddr,
    management: String,
    http: reqwest::Client,
}

impl Drop for ChallTestSrv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChallTestSrv {
    pub async fn start() -> Self {
        let (dns_port, management_port) = (free_port(), free_port());
        let dns: SocketAddr = format!("127.0.0.1:{dns_port}").parse().expect("addr");
        let child = std::process::Command::new("pebble-challtestsrv")
            .args(["-dns01", &dns.to_string()])
            .args(["-management", &format!("127.0.0.1:{management_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            // A records answer 127.0.0.1, and no AAAA: the test servers
            // listen on IPv4 loopback.
            .args(["-defaultIPv6", ""])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv runs (scripts/setup installs Debian's pebble)");
        let server = Self {
            child,
            dns,
            management: format!("http://127.0.0.1:{management_port}"),
            http: reqwest::Client::new(),
        };
        wait_listening(dns_port, "pebble-challtestsrv (DNS)").await;
        wait_listening(management_port, "pebble-challtestsrv (management)").await;
        server
    }

    /// Settings that point the resolver at this server.
    pub fn setting(&self) -> String {
        format!("[\"{}\"]", self.dns)
    }

    async fn post(&self, path: &str, body: serde_json::Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.management))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("challtestsrv management");
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    pub async fn set_txt(&self, name: &str, value: &str) {
        let body = serde_json::json!({ "host": format!("{name}."), "value": value });
        self.post("/set-txt", body).await;
    }

    pub async fn clear_txt(&self, name: &str) {
        let body = serde_json::json!({ "host": format!("{name}.") });
        self.post("/clear-txt", body).await;
    }
}
