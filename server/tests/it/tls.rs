//! Automatic TLS for verified custom domains against real peers: Debian's
//! `pebble` as the ACME CA (validating HTTP-01 against the test's own HTTP
//! listener) and `pebble-challtestsrv` as DNS. A verified domain gets a
//! certificate on its first handshake; an unverified SNI gets none and
//! causes no issuance.

use crate::dns_server::ChallTestSrv;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::peer::{free_port, wait_listening};
use sea_orm::{ConnectionTrait, Database, Statement};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

on_both_backends!(a_verified_domain_gets_a_certificate_on_demand_and_an_unknown_sni_gets_nothing,);

struct Pebble {
    child: std::process::Child,
    directory: String,
    management: String,
    ca_pem: String,
    ca_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pebble {
    /// Pebble's own HTTPS uses a certificate made here; HTTP-01 checks go to
    /// `http_port` on the address DNS gives for the domain.
    async fn start(dns: SocketAddr, http_port: u16) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("params");
        let cert = params.self_signed(&key).expect("cert");
        let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_file, cert.pem()).expect("write cert");
        std::fs::write(&key_file, key.serialize_pem()).expect("write key");
        let (listen, management) = (free_port(), free_port());
        let config = serde_json::json!({ "pebble": {
            "listenAddress": format!("127.0.0.1:{listen}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": cert_file, "privateKey": key_file,
            "httpPort": http_port, "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": false,
        }});
        let config_file = dir.path().join("pebble.json");
        std::fs::write(&config_file, config.to_string()).expect("write config");
        let child = std::process::Command::new("pebble")
            .args(["-config", &config_file.display().to_string()])
            .args(["-dnsserver", &dns.to_string()])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("pebble runs (scripts/setup installs Debian's pebble)");
        let pebble = Self {
            child,
            directory: format!("https://127.0.0.1:{listen}/dir"),
            management: format!("https://127.0.0.1:{management}"),
            ca_pem: cert.pem(),
            ca_file: cert_file,
            _dir: dir,
        };
        wait_listening(listen, "pebble").await;
        pebble
    }

    /// The root pebble issues certificates under.
    async fn issuing_root(&self) -> String {
        let client = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).expect("ca"),
            )
            .build()
            .expect("client");
        client
            .get(format!("{}/roots/0", self.management))
            .send()
            .await
            .expect("pebble management answers")
            .text()
            .await
            .expect("root")
    }
}

/// A TLS handshake with `sni` against `addr`, trusting `root`; then one
/// plain GET of `/login`.
async fn fetch_over_tls(addr: SocketAddr, sni: &str, root: &str) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut std::io::Cursor::new(root.as_bytes())) {
        roots.add(cert.expect("root pem")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let name =
        rustls::pki_types::ServerName::try_from(sni.to_owned()).map_err(|e| e.to_string())?;
    let mut tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let request = format!("GET /login HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

async fn a_verified_domain_gets_a_certificate_on_demand_and_an_unknown_sni_gets_nothing(
    app: TestApp,
) {
    let dns = ChallTestSrv::start().await;
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("http");
    let http_port = http.local_addr().expect("addr").port();
    let pebble = Pebble::start(dns.dns, http_port).await;
    let nameservers = dns.setting();
    let ca_root = pebble.ca_file.display().to_string();
    let secret = "ab".repeat(32);
    let app = app
        .with_router_settings(&[
            ("dns_nameservers", nameservers.as_str()),
            ("acme_directory_url", pebble.directory.as_str()),
            ("acme_ca_root", ca_root.as_str()),
            ("secret_key", secret.as_str()),
        ])
        .await;
    let router = app.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(
            http,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let https = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("https");
    let https_addr = https.local_addr().expect("addr");
    tokio::spawn(tenantry_server::https::serve(
        https,
        app.engine.clone(),
        app.router.clone(),
    ));

    let alpha = app.tenant("alpha").await;
    let domain = tenantry::domains::add(&app.engine, alpha.tenant(), "secure.alpha.test", "test")
        .await
        .expect("domain");
    dns.set_txt(&domain.txt_name, &domain.txt_value).await;
    let verified = tenantry::domains::verify(&app.engine, alpha.tenant(), domain.id, "test")
        .await
        .expect("verify");
    assert_eq!(verified.state, "verified", "{verified:?}");
    let root = pebble.issuing_root().await;

    // An unknown name: no certificate, and the CA is never asked.
    let refused = fetch_over_tls(https_addr, "unknown.alpha.test", &root).await;
    assert!(
        refused.is_err(),
        "handshake for an unverified name: {refused:?}"
    );
    assert_eq!(
        tenantry::tls::issuance_attempts(&app.engine, "unknown.alpha.test")
            .await
            .expect("n"),
        0
    );

    // The verified domain: issued on its first handshake, then served.
    let page = fetch_over_tls(https_addr, "secure.alpha.test", &root)
        .await
        .expect("TLS handshake with the issued certificate");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("alpha Inc"), "the tenant's page over TLS");
    let page = fetch_over_tls(https_addr, "secure.alpha.test", &root)
        .await
        .expect("second handshake");
    assert!(page.contains("alpha Inc"));
    assert_eq!(
        tenantry::tls::issuance_attempts(&app.engine, "secure.alpha.test")
            .await
            .expect("n"),
        1,
        "the stored certificate is reused"
    );

    // Renewal: a certificate inside the renewal window is issued again.
    let renewing = app
        .with_settings(&[
            ("dns_nameservers", nameservers.as_str()),
            ("acme_directory_url", pebble.directory.as_str()),
            ("acme_ca_root", ca_root.as_str()),
            ("secret_key", secret.as_str()),
            ("certificate_renew_days", "100000"),
        ])
        .await;
    assert_eq!(tenantry::tls::renew_due(&renewing).await.expect("renew"), 1);
    assert_eq!(
        tenantry::tls::issuance_attempts(&app.engine, "secure.alpha.test")
            .await
            .expect("n"),
        2
    );
    let page = fetch_over_tls(https_addr, "secure.alpha.test", &root)
        .await
        .expect("handshake with the renewed certificate");
    assert!(page.contains("alpha Inc"));

    // The key is sealed in the catalog, behind the wall: a plain runtime
    // connection (no tenant bound, not the platform scope) sees no
    // certificate; the platform path does.
    let query =
        "SELECT key_sealed, chain_pem FROM tls_certificates WHERE hostname = 'secure.alpha.test'";
    let catalog = Database::connect(app.settings.runtime_url())
        .await
        .expect("catalog");
    let backend = catalog.get_database_backend();
    let unbound = catalog
        .query_one_raw(Statement::from_string(backend, query))
        .await
        .expect("query");
    assert!(
        unbound.is_none() || backend != sea_orm::DbBackend::Postgres,
        "an unbound connection read a certificate"
    );
    let platform = app
        .engine
        .platform(tenantry::tenancy::PlatformUse::Console)
        .await
        .expect("platform");
    let row = platform
        .query_one_raw(Statement::from_string(backend, query))
        .await
        .expect("query")
        .expect("a certificate row");
    let sealed: String = row.try_get("", "key_sealed").expect("key");
    let chain: String = row.try_get("", "chain_pem").expect("chain");
    assert!(chain.contains("BEGIN CERTIFICATE"));
    assert!(
        !sealed.contains("PRIVATE KEY"),
        "the key is not stored in clear"
    );
}
