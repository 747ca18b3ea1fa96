//! The ACME client's HTTP under the policy. The directory names the URLs
//! every later request goes to, so each request is checked, not only the
//! directory's: an IP literal before it is sent, a name when it resolves.

use super::{names_private_host, Destination};
use crate::config::Settings;
use bytes::Bytes;
use http_body_util::BodyExt;
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub struct AcmeHttp {
    client: reqwest::Client,
    public_only: bool,
}

impl AcmeHttp {
    /// A client that trusts the public web roots and, when set, the root
    /// the ACME server's own TLS is signed by (`acme_ca_root`).
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let mut builder = super::http::builder(
            Destination::Acme,
            settings,
            Duration::from_secs(30),
            "Tenantry-ACME/1",
        );
        if let Some(path) = &settings.acme_ca_root {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("acme_ca_root {}: {e}", path.display()))?;
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
        }
        Ok(Self {
            client: super::http::build(builder),
            public_only: !Destination::Acme.private_allowed(settings),
        })
    }
}

type Answer = Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>>;

impl HttpClient for AcmeHttp {
    fn request(&self, req: http::Request<BodyWrapper<Bytes>>) -> Answer {
        let client = self.client.clone();
        let public_only = self.public_only;
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let url = url::Url::parse(&parts.uri.to_string()).map_err(other)?;
            if public_only && names_private_host(&url) {
                return Err(other(super::Refused {
                    named_by: Destination::Acme.named_by(),
                    reason: "the directory named a private host",
                }));
            }
            let body = body.collect().await.map_err(other)?.to_bytes();
            let sent = client
                .request(parts.method, url)
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(other)?;
            Ok(BytesResponse::from(http::Response::from(sent)))
        })
    }
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> instant_acme::Error {
    instant_acme::Error::Other(Box::new(e))
}
