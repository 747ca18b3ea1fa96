//! What every launcher of a test peer (a fake Stripe, an SMTP sink, an S3
//! server, a DNS server, an ACME CA, our own server binary) needs: a free
//! loopback port, and waiting until the peer listens on it.

use std::time::Duration;

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Waits (up to 15 s) until something accepts connections on `port`; panics
/// naming `what` otherwise.
pub async fn wait_listening(port: u16, what: &str) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not start listening on port {port}");
}
