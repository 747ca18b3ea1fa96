//! Placements and moves: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::MoveDto;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("move_tenant", Need::Superadmin),
    ("move_status", Need::Superadmin),
    ("rollback_move", Need::Superadmin),
    ("fleet_status", Need::Superadmin),
];

/// The tenant-plane version of every unit of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetDto {
    pub latest: String,
    pub rows: Vec<FleetRowDto>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetRowDto {
    pub unit: String,
    pub slug: Option<String>,
    pub placement: Option<String>,
    pub version: Option<String>,
    pub status: String,
    pub error: Option<String>,
}

#[server]
pub async fn move_tenant(slug: String, to: String) -> Result<MoveDto, AppError> {
    Box::pin(super::server::move_tenant(slug, to)).await
}

#[server]
pub async fn move_status(slug: String) -> Result<Option<MoveDto>, AppError> {
    Box::pin(super::server::move_status(slug)).await
}

#[server]
pub async fn rollback_move(slug: String) -> Result<MoveDto, AppError> {
    Box::pin(super::server::rollback_move(slug)).await
}

#[server]
pub async fn fleet_status() -> Result<FleetDto, AppError> {
    Box::pin(super::server::fleet_status()).await
}
