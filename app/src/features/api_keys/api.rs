//! API keys: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("list_api_keys", Need::Admin),
    ("create_api_key", Need::Admin),
    ("revoke_api_key", Need::Admin),
];

/// An API key as its tenant's admins see it (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyDto {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub requests_per_second: Option<u32>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}
/// A key just created, with the secret shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiKeyDto {
    pub key: ApiKeyDto,
    pub secret: String,
}

#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyDto>, AppError> {
    Box::pin(super::server::list_api_keys()).await
}

/// `expires_in_days` empty: the key does not expire; `requests_per_second`
/// empty: only the organisation's rate limit applies.
#[server]
pub async fn create_api_key(
    name: String,
    role: String,
    expires_in_days: String,
    requests_per_second: String,
) -> Result<CreatedApiKeyDto, AppError> {
    Box::pin(super::server::create_api_key(
        name,
        role,
        expires_in_days,
        requests_per_second,
    ))
    .await
}

#[server]
pub async fn revoke_api_key(key_id: String) -> Result<ApiKeyDto, AppError> {
    Box::pin(super::server::revoke_api_key(key_id)).await
}
