//! Checking an ID token: its signature against the provider's published keys
//! (JWKS, fetched when a sign-in needs them), then `iss`, `aud`, `exp` and the
//! `nonce` this sign-in sent. Only asymmetric algorithms are accepted, so a
//! token cannot be "signed" with a public key or with none.

use super::http;
use crate::error::{Error, Result};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The claims a sign-in uses.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub nonce: Option<String>,
}

const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
];

fn refused(why: &str) -> Error {
    Error::forbidden("sso_failed", format!("single sign-on failed: {why}"))
}

/// The provider's keys. Each is read on its own, so one key of a kind we do
/// not know does not hide the others.
pub async fn fetch_keys(settings: &crate::config::Settings, jwks_uri: &str) -> Result<Vec<Jwk>> {
    let res = http(settings)
        .get(jwks_uri)
        .send()
        .await
        .map_err(|_| refused("the provider's keys could not be fetched"))?;
    let bytes = res
        .bytes()
        .await
        .map_err(|_| refused("the provider's keys could not be read"))?;
    let body: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| refused("the provider's keys are not a JWK set"))?;
    let keys = body["keys"].as_array().cloned().unwrap_or_default();
    Ok(keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .collect())
}

/// Verifies `token` as an ID token of `issuer` for `client_id`, carrying
/// `nonce`, signed by one of `keys`.
pub fn verify(
    keys: &[Jwk],
    issuer: &str,
    client_id: &str,
    nonce: &str,
    token: &str,
) -> Result<IdClaims> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|_| refused("the ID token is malformed"))?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(refused("the ID token's algorithm is not accepted"));
    }
    let key = match &header.kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
    .ok_or_else(|| refused("the ID token is signed with an unknown key"))?;
    let decoding =
        DecodingKey::from_jwk(key).map_err(|_| refused("the provider's key is unusable"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer, &format!("{issuer}/")]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 30;
    let data = jsonwebtoken::decode::<IdClaims>(token, &decoding, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::InvalidSignature => refused("the ID token's signature is invalid"),
            ErrorKind::ExpiredSignature => refused("the ID token has expired"),
            ErrorKind::InvalidAudience => refused("the ID token was issued to another client"),
            ErrorKind::InvalidIssuer => refused("the ID token comes from another issuer"),
            _ => refused("the ID token is invalid"),
        }
    })?;
    let claims = data.claims;
    let sent = claims.nonce.as_deref().unwrap_or_default();
    if !crate::identity::secret_token::same_text(sent, nonce) {
        return Err(refused("the ID token does not answer this sign-in (nonce)"));
    }
    Ok(claims)
}
