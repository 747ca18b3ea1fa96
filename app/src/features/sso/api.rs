//! Single sign-on: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

// Server functions mirror their forms field by field; a form here has more
// fields than clippy's default limit, and the attribute cannot reach the
// client stub the `#[server]` macro generates, so it is allowed here.
#![allow(clippy::too_many_arguments)]

use crate::dto::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("get_sso", Need::Admin),
    ("save_sso", Need::Owner),
    ("remove_sso", Need::Owner),
];

/// A tenant's single sign-on settings as its admins see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoDto {
    pub issuer: String,
    pub client_id: String,
    pub has_client_secret: bool,
    pub allowed_domains: String,
    pub jit_provisioning: bool,
    pub default_role: Role,
    pub enforce_sso: bool,
    pub break_glass_email: String,
    pub updated: String,
}
/// The single sign-on page: this host's callback and the settings, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoPageDto {
    pub redirect_uri: String,
    pub config: Option<SsoDto>,
    /// The TXT record proving an email domain: its name with `<domain>` in
    /// place of the domain, and the value it must hold.
    pub domain_proof_name: String,
    pub domain_proof_value: String,
}

#[server]
pub async fn get_sso() -> Result<SsoPageDto, AppError> {
    Box::pin(super::server::get_sso()).await
}

/// Checkboxes are present when ticked; an empty secret keeps the stored one.
#[server]
pub async fn save_sso(
    issuer: String,
    client_id: String,
    client_secret: String,
    allowed_domains: String,
    jit_provisioning: Option<String>,
    default_role: String,
    enforce_sso: Option<String>,
    break_glass_email: String,
) -> Result<SsoDto, AppError> {
    let ticked = |v: Option<String>| v.is_some_and(|v| !v.is_empty() && v != "false");
    Box::pin(super::server::save_sso(
        tenantry::identity::sso::config::SsoInput {
            issuer,
            client_id,
            client_secret,
            allowed_domains,
            jit_provisioning: ticked(jit_provisioning),
            default_role,
            enforce_sso: ticked(enforce_sso),
            break_glass_email,
        },
    ))
    .await
}

#[server]
pub async fn remove_sso() -> Result<(), AppError> {
    Box::pin(super::server::remove_sso()).await
}
