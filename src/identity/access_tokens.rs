//! Platform access tokens: short-lived JWTs (HS256) issued from an API key or
//! a session by the token endpoint. The tenant travels as the `tid` claim; the
//! gateway refuses a token on any other tenant's host. The key or member a
//! token names is looked up again on use, so revoking a key or removing a
//! member ends its tokens at once.

use super::Actor;
use crate::error::{Error, Result};
use crate::tenancy::{Engine, TenantId};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

/// How long a token lives.
pub const TOKEN_TTL_SECS: i64 = 15 * 60;
const ISSUER: &str = "tenantry";
const AUDIENCE: &str = "tenantry-api";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    /// The member's user id, or the API key's id.
    sub: Uuid,
    /// `user` or `key`: what `sub` names.
    kind: String,
    /// The tenant.
    tid: Uuid,
    iat: i64,
    exp: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// A token for `actor` on `tenant`.
pub fn issue(
    engine: &Engine,
    tenant: TenantId,
    actor: &Actor,
    key: Option<Uuid>,
) -> Result<IssuedToken> {
    let (sub, kind) = match (actor.user_id(), key) {
        (Some(user), _) => (user, "user"),
        (None, Some(key)) => (key, "key"),
        (None, None) => return Err(Error::Unauthenticated),
    };
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub,
        kind: kind.into(),
        tid: tenant.uuid(),
        iat: now,
        exp: now + TOKEN_TTL_SECS,
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&signing_key(engine)),
    )
    .map_err(|e| Error::Unexpected(e.into()))?;
    Ok(IssuedToken {
        access_token: token,
        token_type: "Bearer",
        expires_in: TOKEN_TTL_SECS,
    })
}

/// Whether a presented credential looks like a token (rather than a key).
pub fn looks_like_token(presented: &str) -> bool {
    presented.split('.').count() == 3
}

/// Whom a token was issued for.
pub enum Subject {
    User(uuid::Uuid),
    /// An API key, by id: still checked to be live when the token is used.
    Key(uuid::Uuid),
}

/// The tenant and subject a valid, unexpired token names. Every failure is
/// the same `Unauthenticated`.
pub fn verify(engine: &Engine, presented: &str) -> Result<(TenantId, Subject)> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.leeway = 5;
    let data = jsonwebtoken::decode::<Claims>(
        presented,
        &DecodingKey::from_secret(&signing_key(engine)),
        &validation,
    )
    .map_err(|_| Error::Unauthenticated)?;
    let claims = data.claims;
    let tenant = TenantId::from_uuid(claims.tid);
    let subject = match claims.kind.as_str() {
        "user" => Subject::User(claims.sub),
        "key" => Subject::Key(claims.sub),
        _ => return Err(Error::Unauthenticated),
    };
    Ok((tenant, subject))
}

/// The HS256 key: derived from the deployment's `secret_key`, or, without
/// one (a development setup), random per process, so tokens simply stop
/// working across a restart.
fn signing_key(engine: &Engine) -> Vec<u8> {
    static EPHEMERAL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let secret = match &engine.settings().secret_key {
        Some(key) => key.expose_secret().to_owned(),
        None => EPHEMERAL.get_or_init(super::secret_token::random).clone(),
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(b"tenantry platform access tokens");
    mac.finalize().into_bytes().to_vec()
}
