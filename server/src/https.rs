//! The optional HTTPS listener for verified custom domains. Each connection's
//! ClientHello is read first; its SNI selects the certificate (issued on
//! demand for a verified domain, see `tenantry::tls`). A name that is not a
//! verified custom domain gets no certificate — the handshake is dropped and
//! the CA is never asked. Requests then go through the same router as plain
//! HTTP, tenant resolution and all.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use tenantry::tenancy::Engine;
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::Acceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::LazyConfigAcceptor;

/// Accepts TLS connections on `listener` forever.
pub async fn serve(listener: TcpListener, engine: Engine, app: Router) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "https accept failed");
                continue;
            }
        };
        let (engine, app) = (engine.clone(), app.clone());
        tokio::spawn(async move {
            if let Err(e) = connection(tcp, peer, engine, app).await {
                tracing::debug!(%peer, error = %e, "https connection ended");
            }
        });
    }
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    engine: Engine,
    app: Router,
) -> anyhow::Result<()> {
    let start = LazyConfigAcceptor::new(Acceptor::default(), tcp).await?;
    let sni = start
        .client_hello()
        .server_name()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no SNI"))?;
    let Some(pem) = tenantry::tls::certificate_for(&engine, &sni).await? else {
        anyhow::bail!("no certificate for {sni}");
    };
    let config = Arc::new(server_config(&pem)?);
    let stream = start.into_stream(config).await?;
    let service = TowerToHyperService::new(app.layer(axum::Extension(ConnectInfo(peer))));
    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn server_config(pem: &tenantry::tls::CertifiedPem) -> anyhow::Result<ServerConfig> {
    let chain: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut std::io::Cursor::new(pem.chain_pem.as_bytes()))
            .collect::<Result<_, _>>()?;
    let key: PrivateKeyDer<'static> =
        rustls_pemfile::private_key(&mut std::io::Cursor::new(pem.key_pem.as_bytes()))?
            .ok_or_else(|| anyhow::anyhow!("no private key"))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
