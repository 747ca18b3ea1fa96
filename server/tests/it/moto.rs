//! A real S3 API server for the object-storage tests: `moto` in server mode
//! (PyPI; scripts/setup installs it into ~/.cache/tenantry/venv), started per
//! test on a free port, with one bucket.

use std::time::Duration;

pub struct Moto {
    child: std::process::Child,
    pub endpoint: String,
    pub bucket: &'static str,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_bin() -> String {
    std::env::var("TENANTRY_MOTO_BIN").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tenantry/venv/bin/moto_server")
    })
}

impl Moto {
    pub async fn start() -> Self {
        let port = crate::peer::free_port();
        let child = std::process::Command::new(moto_bin())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server runs (scripts/setup installs it)");
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "tenantry-test",
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            // Creating the bucket doubles as the readiness check.
            let created = http
                .put(format!("{}/{}", moto.endpoint, moto.bucket))
                .send()
                .await;
            if created.is_ok_and(|r| r.status().is_success()) {
                return moto;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start");
    }

    /// Settings that put tenants' objects in this server's bucket.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("storage_s3_bucket", self.bucket.to_owned()),
            ("storage_s3_endpoint", self.endpoint.clone()),
            ("storage_s3_access_key_id", "testing".into()),
            ("storage_s3_secret_access_key", "testing".into()),
        ]
    }

    /// Whether the bucket holds an object at `key` (read from the bucket's
    /// listing, which moto serves without credentials).
    pub async fn holds(&self, key: &str) -> bool {
        let listing = reqwest::Client::new()
            .get(format!("{}/{}", self.endpoint, self.bucket))
            .send()
            .await
            .expect("moto answers")
            .text()
            .await
            .expect("listing");
        listing.contains(&format!("<Key>{key}</Key>"))
    }
}
