//! Feature flags: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

// Server functions mirror their forms field by field; a form here has more
// fields than clippy's default limit, and the attribute cannot reach the
// client stub the `#[server]` macro generates, so it is allowed here.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("list_flags", Need::Superadmin),
    ("get_flag", Need::Superadmin),
    ("save_flag", Need::Superadmin),
    ("set_kill_switch", Need::Superadmin),
    ("remove_flag", Need::Superadmin),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagRowDto {
    pub key: String,
    pub description: String,
    pub kind: String,
    pub kill_switch: bool,
    pub targeting: String,
}
/// A flag as its editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagFormDto {
    pub key: String,
    pub description: String,
    pub kind: String,
    pub default: String,
    pub kill_switch: bool,
    pub value: String,
    pub allow: String,
    pub deny: String,
    pub plans: String,
    pub tiers: String,
    pub percentage: String,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagDetailDto {
    pub form: FlagFormDto,
    /// Live tenants whose value differs from the default: (slug, name, value).
    pub resolved: Vec<(String, String, String)>,
    pub live_tenants: usize,
    /// (when, who, what).
    pub history: Vec<(String, String, String)>,
}

#[server]
pub async fn list_flags() -> Result<Vec<FlagRowDto>, AppError> {
    Box::pin(super::server::list_flags()).await
}

#[server]
pub async fn get_flag(key: String) -> Result<FlagDetailDto, AppError> {
    Box::pin(super::server::get_flag(key)).await
}

/// Creates or changes a flag; returns its key.
#[server]
pub async fn save_flag(
    key: String,
    description: Option<String>,
    kind: String,
    default: Option<String>,
    kill_switch: Option<String>,
    value: Option<String>,
    allow: Option<String>,
    deny: Option<String>,
    plans: Option<String>,
    tiers: Option<String>,
    percentage: Option<String>,
) -> Result<String, AppError> {
    let input = tenantry::flags::store::FlagInput {
        key,
        description: description.unwrap_or_default(),
        kind,
        default: default.unwrap_or_default(),
        kill_switch: kill_switch.is_some_and(|v| !v.is_empty() && v != "false"),
        value: value.unwrap_or_default(),
        allow: allow.unwrap_or_default(),
        deny: deny.unwrap_or_default(),
        plans: plans.unwrap_or_default(),
        tiers: tiers.unwrap_or_default(),
        percentage: percentage.unwrap_or_default(),
    };
    Box::pin(super::server::save_flag(input)).await
}

#[server]
pub async fn set_kill_switch(key: String, on: bool) -> Result<(), AppError> {
    Box::pin(super::server::set_kill_switch(key, on)).await
}

#[server]
pub async fn remove_flag(key: String) -> Result<(), AppError> {
    Box::pin(super::server::remove_flag(key)).await
}
