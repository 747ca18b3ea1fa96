//! Placements and moves: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::MoveDto;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    super::server::move_tenant(slug, to).await
}

#[server]
pub async fn move_status(slug: String) -> Result<Option<MoveDto>, AppError> {
    super::server::move_status(slug).await
}

#[server]
pub async fn rollback_move(slug: String) -> Result<MoveDto, AppError> {
    super::server::rollback_move(slug).await
}

#[server]
pub async fn fleet_status() -> Result<FleetDto, AppError> {
    super::server::fleet_status().await
}
