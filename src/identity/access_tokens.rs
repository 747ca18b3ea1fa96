//! Platform access tokens: short-lived JWTs (HS256) issued from an API key or
//! a signed-in session by the token endpoint — never from another token, so a
//! stolen token cannot renew itself. The tenant travels as the `tid` claim;
//! the gateway refuses a token on any other tenant's host.
//!
//! A token names what issued it and dies with it, checked on every use:
//! - a key's token: the key must still be live (revocation ends it);
//! - a member's token: the session it came from (`sid`, the session's public
//!   handle) must still be signed in — sign-out, password reset and member
//!   removal end sessions — and the member must still hold the role the token
//!   was issued with (`rol`), so a role change ends it too;
//! - a token issued inside a superadmin's support session also names the
//!   impersonation (`imp`): it ends with it, and its requests are audited
//!   under both identities like the session's.

use super::Role;
use crate::error::{Error, Result};
use crate::session::SignedIn;
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
    /// A member's token: the handle of the session that issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<Uuid>,
    /// A member's token: the role the member held when it was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rol: Option<String>,
    /// A token issued in a support session: the impersonation's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    imp: Option<Uuid>,
    iat: i64,
    exp: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// What a token is issued from.
pub enum Issuer {
    /// An API key, by id.
    Key(Uuid),
    /// A member signed in on a session, holding `role`.
    Session(SignedIn, Role),
}

/// A token on `tenant` for what `issuer` names.
pub fn issue(engine: &Engine, tenant: TenantId, issuer: Issuer) -> Result<IssuedToken> {
    let now = chrono::Utc::now().timestamp();
    let mut claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: Uuid::nil(),
        kind: String::new(),
        tid: tenant.uuid(),
        sid: None,
        rol: None,
        imp: None,
        iat: now,
        exp: now + TOKEN_TTL_SECS,
    };
    match issuer {
        Issuer::Key(key) => {
            claims.sub = key;
            claims.kind = "key".into();
        }
        Issuer::Session(signed_in, role) => {
            claims.sub = signed_in.subject;
            claims.kind = "user".into();
            claims.sid = Some(signed_in.handle);
            claims.rol = Some(role.as_str().into());
            claims.imp = signed_in.impersonation;
        }
    }
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

/// Whom a token was issued for, and what must still hold for it to work.
pub enum Subject {
    /// A member, from a session: checked against the session, the role and
    /// any impersonation when the token is used.
    User {
        id: Uuid,
        session: Uuid,
        role: Role,
        impersonation: Option<Uuid>,
    },
    /// An API key, by id: still checked to be live when the token is used.
    Key(Uuid),
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
    let subject = match (claims.kind.as_str(), claims.sid, claims.rol) {
        // A member's token without its session (as tokens were before they
        // named one) is refused: nothing would end it.
        ("user", Some(session), Some(role)) => Subject::User {
            id: claims.sub,
            session,
            role: Role::parse(&role).ok_or(Error::Unauthenticated)?,
            impersonation: claims.imp,
        },
        ("key", None, None) => Subject::Key(claims.sub),
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
