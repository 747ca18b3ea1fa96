//! The [`Arrival`] of a request that signs someone in: its User-Agent and
//! the client address the gateway established, kept with the session for
//! its owner's list of sessions.

use axum::extract::FromRequestParts;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use std::convert::Infallible;
use tenantry::identity::throttle::ClientIp;
use tenantry::session::Arrival;

pub struct Arriving(pub Arrival);

impl<S: Send + Sync> FromRequestParts<S> for Arriving {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let device = parts.headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
        let address = parts.extensions.get::<ClientIp>().and_then(|c| c.0);
        Ok(Arriving(Arrival::new(device, address)))
    }
}
