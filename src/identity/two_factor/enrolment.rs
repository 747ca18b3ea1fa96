//! Enrolling a second factor: a new secret is shown (as text and as a QR
//! code for an authenticator app) and proven with a first code before it
//! is kept. Until then the secret travels with the browser in a sealed
//! ticket that names whom it was made for and when it lapses, so nothing
//! half-made is stored and a ticket cannot be used by someone else.

use super::{qr, step_of, unix_now};
use crate::error::{Error, Result};
use crate::seal::Sealer;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a person has to scan the code and type their first code.
const TICKET_SECS: u64 = 15 * 60;

/// What the person is shown to set up their authenticator.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The secret in base32, in groups of four, for typing by hand.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub uri: String,
    /// The QR code, as an SVG document.
    pub qr_svg: String,
    /// Sealed; handed back with the first code.
    pub ticket: String,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    subject: Uuid,
    secret: Vec<u8>,
    until: u64,
}

impl Enrolment {
    /// A new secret for `subject`, labelled `issuer: account` in the app.
    pub fn begin(sealer: &Sealer, subject: Uuid, issuer: &str, account: &str) -> Result<Self> {
        let secret = super::new_secret();
        let base32 = totp_rs::Secret::Raw(secret.clone())
            .to_encoded()
            .to_string();
        let uri = otpauth_uri(&base32, issuer, account);
        let sealed = serde_json::to_vec(&Sealed {
            subject,
            secret,
            until: unix_now() + TICKET_SECS,
        })
        .map_err(|e| Error::Unexpected(e.into()))?;
        Ok(Self {
            secret: grouped(&base32),
            qr_svg: qr::svg(&uri)?,
            uri,
            ticket: sealer.seal(&sealed)?,
        })
    }
}

/// An enrolment ticket handed back, proven with its first code.
pub struct Ticket {
    pub secret: Vec<u8>,
    /// The step of the first code (never accepted again).
    pub step: i64,
}

impl Ticket {
    /// Opens `ticket` for `subject` and checks `code` against its secret.
    pub fn prove(sealer: &Sealer, ticket: &str, subject: Uuid, code: &str) -> Result<Self> {
        let lapsed = || Error::invalid("ticket", "this setup has lapsed; start again");
        let opened: Sealed = sealer
            .open(ticket.trim())
            .ok()
            .and_then(|raw| serde_json::from_slice(&raw).ok())
            .ok_or_else(lapsed)?;
        if opened.subject != subject || opened.until < unix_now() {
            return Err(lapsed());
        }
        let step = step_of(&opened.secret, code, unix_now())?.ok_or_else(super::wrong_code)?;
        Ok(Self {
            secret: opened.secret,
            step,
        })
    }
}

fn otpauth_uri(base32: &str, issuer: &str, account: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // Authenticator apps read `+` in the path literally: spaces as %20.
    let label = enc(&format!("{issuer}:{account}")).replace('+', "%20");
    let issuer = enc(issuer).replace('+', "%20");
    format!(
        "otpauth://totp/{label}?secret={base32}&issuer={issuer}&algorithm=SHA1&digits=6&period=30"
    )
}

fn grouped(base32: &str) -> String {
    base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
