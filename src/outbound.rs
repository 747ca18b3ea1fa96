//! The one policy for every request the platform sends out: webhooks, SSO
//! discovery and token calls, Stripe, the ACME directory and the SMTP relay.
//!
//! - Only public addresses, whichever way an address is written (IPv4 in
//!   short, decimal or hex form, IPv6 forms that carry an IPv4 address,
//!   names that resolve to the platform's own network), unless the
//!   deployment allows private ones for that [`Destination`].
//! - No redirects followed and no proxy taken from the environment (a proxy
//!   would connect on our behalf to whatever it is asked).
//!
//! Clients we build (reqwest for webhooks, SSO and ACME) check each address
//! when they connect; the libraries that connect by themselves (async-stripe,
//! lettre) are given a host only after [`admit`] has resolved and checked it.

mod acme_http;
mod address;
mod destination;
pub mod dns;
mod http;

pub use acme_http::AcmeHttp;
pub use address::{is_public, names_private_host};
pub use destination::{admit, admit_public_only, Destination, Refused};
pub use http::client;
