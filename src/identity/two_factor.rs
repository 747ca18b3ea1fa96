//! Two-factor sign-in: time-based one-time codes (RFC 6238 through
//! `totp-rs`: HMAC-SHA-1, 6 digits, 30-second steps, the step before and the
//! step after accepted for clock drift) and ten single-use recovery codes.
//!
//! - A secret is 160 random bits, shown once as base32 and as a QR code
//!   while enrolling, and sealed at rest: a member's with their tenant's
//!   data key (`tenancy::keys`, so a purge shreds it), a superadmin's with
//!   the deployment's key (`seal`).
//! - A code is accepted once: the step it was accepted for is kept, and a
//!   code of that step or an earlier one is refused, so a code read over
//!   someone's shoulder cannot be used again.
//! - Recovery codes are random (50 bits each), so only a SHA-256 digest is
//!   kept, as with every other random secret here; each is struck off when
//!   used. Making new ones replaces them all.
//! - Every wrong code counts as a failed sign-in of the account
//!   (`throttle`), so codes cannot be guessed faster than passwords.
//!
//! Members' factors live in their tenant (`members`), superadmins' in the
//! catalog (`admins`); what a factor is and how a code is proven is here.

pub mod admins;
mod enrolment;
pub mod members;
mod qr;

pub use enrolment::{Enrolment, Ticket};

use crate::error::{Error, Result};
use crate::seal::Sealer;
use rand::Rng;
use totp_rs::{Algorithm, TOTP};

/// Seconds in one time step.
pub const STEP_SECS: u64 = 30;
const DIGITS: usize = 6;
/// How many recovery codes a person is given at a time.
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes use letters and digits that cannot be misread for one
/// another (no 0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A factor row, whoever it belongs to.
#[derive(Debug, Clone)]
pub struct Stored {
    pub secret_sealed: String,
    pub last_step: Option<i64>,
    /// The JSON list of unused recovery codes' digests, as stored.
    pub recovery_codes: String,
    pub enrolled_at: chrono::DateTime<chrono::Utc>,
}

impl Stored {
    pub fn recovery_left(&self) -> usize {
        digests(&self.recovery_codes).len()
    }
}

/// What a person sees of their factor on their account page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub enrolled_at: chrono::DateTime<chrono::Utc>,
    pub recovery_left: usize,
}

/// How a code proved the factor, and what must be written for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// A one-time code of this time step: recorded so it is not taken again.
    Code { step: i64 },
    /// A recovery code: the digests left once it is struck off.
    Recovery { remaining: String },
}

/// The wrong-code answer, the same whichever kind of code was tried.
pub fn wrong_code() -> Error {
    Error::invalid("code", "this code is not right; try the next one")
}

/// The answer to a sensitive act asked without a recent second factor:
/// the page asks for a code ([`confirm`](members::verify)) and tries again.
pub fn fresh_factor_needed() -> Error {
    Error::forbidden(
        "fresh_factor_required",
        "confirm it is you: enter a code from your authenticator app",
    )
}

/// A new secret, 160 random bits (RFC 4226's recommended length).
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::thread_rng().fill(&mut secret[..]);
    secret
}

fn totp(secret: Vec<u8>) -> Result<TOTP> {
    // Skew 0: the drift allowed is applied by `step_of`, which must know
    // which step matched.
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECS, secret)
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("a TOTP secret is unusable: {e:?}")))
}

/// The time step (of the one before, now and the one after) whose code is
/// `code`, if any.
pub fn step_of(secret: &[u8], code: &str, unix_now: u64) -> Result<Option<i64>> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret.to_vec())?;
    let now = unix_now / STEP_SECS;
    for step in [now.saturating_sub(1), now, now + 1] {
        if totp.check(&code, step * STEP_SECS) {
            return Ok(Some(step as i64));
        }
    }
    Ok(None)
}

/// The code of `secret` at `unix_time` (for tests and tools that play the
/// authenticator).
pub fn code_at(secret: &[u8], unix_time: u64) -> Result<String> {
    Ok(totp(secret.to_vec())?.generate(unix_time))
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
}

/// Ten new recovery codes, as shown (`abcde-fghjk`), and the JSON list of
/// their digests, as stored.
pub fn recovery_codes() -> (Vec<String>, String) {
    let mut rng = rand::thread_rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..10)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
                .collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let digests: Vec<String> = codes
        .iter()
        .map(|c| super::secret_token::digest(&normalise_recovery(c)))
        .collect();
    let json = serde_json::to_string(&digests).unwrap_or_else(|_| "[]".into());
    (codes, json)
}

fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn digests(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Whether `code` proves `stored`: a one-time code of a step later than the
/// last one accepted, or one of the unused recovery codes. `None` for a
/// wrong, reused or malformed code.
/// `open` turns the stored sealed secret into its bytes (its owner's key).
pub fn prove(
    open: impl FnOnce(&str) -> Result<Vec<u8>>,
    stored: &Stored,
    code: &str,
) -> Result<Option<Proof>> {
    let digits_only = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| c.is_ascii_digit());
    if digits_only {
        let secret = open(&stored.secret_sealed)?;
        return Ok(step_of(&secret, code, unix_now())?
            .filter(|step| stored.last_step.is_none_or(|last| *step > last))
            .map(|step| Proof::Code { step }));
    }
    let tried = super::secret_token::digest(&normalise_recovery(code));
    let mut left = digests(&stored.recovery_codes);
    let Some(at) = left
        .iter()
        .position(|d| super::secret_token::same_text(d, &tried))
    else {
        return Ok(None);
    };
    left.remove(at);
    let remaining = serde_json::to_string(&left).unwrap_or_else(|_| "[]".into());
    Ok(Some(Proof::Recovery { remaining }))
}

/// Where one person's factor row is kept (their tenant, or the catalog).
pub(crate) trait FactorRows {
    async fn load(&self) -> Result<Option<Stored>>;
    /// Writes what `proof` used up, unless a concurrent sign-in used it
    /// first (then `false`: the code counts as wrong).
    async fn record(&self, stored: &Stored, proof: &Proof) -> Result<bool>;
}

/// Checks `code` against the person's factor, counting a wrong one as a
/// failed sign-in of the account. A person with no factor has no right
/// code; with nothing to guess, that refusal is not counted.
pub(crate) async fn check(
    rows: &impl FactorRows,
    open: impl FnOnce(&str) -> Result<Vec<u8>>,
    attempt: super::throttle::Attempt<'_>,
    code: &str,
) -> Result<Proof> {
    let Some(stored) = rows.load().await? else {
        return Err(wrong_code());
    };
    match prove(open, &stored, code)? {
        Some(proof) if rows.record(&stored, &proof).await? => Ok(proof),
        _ => {
            attempt.failed().await;
            Err(wrong_code())
        }
    }
}

/// The sealer for factor secrets; a deployment without `secret_key` cannot
/// offer two-factor sign-in, and says so.
pub fn sealer(engine: &crate::tenancy::Engine) -> Result<Sealer> {
    Sealer::from_settings(engine.settings()).map_err(|e| {
        tracing::error!(error = %e, "two-factor sign-in needs a usable secret_key");
        Error::conflict(
            "code",
            "two-factor sign-in is not available: the platform's secret_key is not set",
        )
    })
}

#[cfg(test)]
mod tests;
