//! A real OpenID Connect provider for the SSO tests: oauth2-mock-server
//! (npm), started per test by `scripts/oidc-provider.mjs` on a free port.
//! `login_hint` picks who signs in (see the script).

use std::io::{BufRead, BufReader};

pub struct OidcProvider {
    child: std::process::Child,
    pub issuer: String,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OidcProvider {
    pub fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/oidc-provider.mjs");
        let mut child = std::process::Command::new("node")
            .args([script, "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node runs the provider (npm ci installs oauth2-mock-server)");
        let stdout = child.stdout.take().expect("stdout");
        let mut provider = Self {
            child,
            issuer: String::new(),
        };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("issuer line");
        provider.issuer = line
            .trim()
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("provider did not start: {line:?}"))
            .to_owned();
        provider
    }
}
