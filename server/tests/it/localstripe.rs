//! A stateful fake Stripe for the billing tests: `localstripe` (PyPI;
//! scripts/setup installs it into ~/.cache/tenantry/venv) on a free port,
//! started empty, with the parts of Stripe's API it lacks added by
//! `scripts/stripe-peer.py` (prices, billing meters and meter events,
//! subscriptions with several items, billing-portal sessions, and
//! idempotency keys honoured). The tests drive it as Stripe's side would
//! (cards, payments) and it sends its events, signed as Stripe signs them,
//! to the webhook URL a test registers.

use crate::peer::{free_port, wait_listening};

pub struct LocalStripe {
    child: std::process::Child,
    pub base: String,
    http: reqwest::Client,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The secret key the tests give both sides (localstripe accepts any `sk_`).
pub const SECRET_KEY: &str = "sk_test_tenantry";

fn python() -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    format!("{home}/.cache/tenantry/venv/bin/python")
}

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/stripe-peer.py");

impl LocalStripe {
    pub async fn start() -> Self {
        let port = free_port();
        let child = std::process::Command::new(python())
            .args([PEER, "--port", &port.to_string(), "--from-scratch"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the Stripe peer runs (scripts/setup installs localstripe)");
        let peer = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        wait_listening(port, "the Stripe peer").await;
        peer
    }

    /// A form-encoded call as Stripe's own side (the dashboard, a customer
    /// entering a card); the JSON answer.
    pub async fn call(&self, method: &str, path: &str, form: &[(&str, &str)]) -> serde_json::Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url).query(form),
            _ => self.http.post(url).form(form),
        };
        let res = request
            .basic_auth(SECRET_KEY, Some(""))
            .send()
            .await
            .expect("localstripe answers");
        let text = res.text().await.expect("body");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    }

    /// A peer-only view (no key): the writes it received, what a meter holds.
    pub async fn view(&self, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .send()
            .await
            .expect("the peer answers");
        let text = res.text().await.expect("body");
        serde_json::from_str(&text).expect("JSON")
    }

    /// Sends every event to `url`, signed with `secret`.
    pub async fn register_webhook(&self, url: &str, secret: &str) {
        let res = self
            .http
            .post(format!("{}/_config/webhooks/tenantry", self.base))
            .form(&[("url", url), ("secret", secret)])
            .send()
            .await
            .expect("localstripe answers");
        assert!(
            res.status().is_success(),
            "webhook registered: {}",
            res.status()
        );
    }
}
