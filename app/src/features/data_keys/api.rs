//! A tenant's data key: the server functions (each body one call into
//! `server.rs`) and what they carry to the browser. Never a key: only
//! generation numbers and progress.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller (see
/// `backend::needs`).
pub const NEEDS: &[(&str, Need)] = &[
    ("data_key_status", Need::Superadmin),
    ("rotate_data_key", Need::Superadmin),
];

/// The generations of the tenant's key the keyring holds, the one new values
/// are sealed with, and the last rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataKeyDto {
    pub generations: Vec<i32>,
    pub sealing: i32,
    pub rotation: Option<RotationDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotationDto {
    pub generation: i32,
    /// `waiting`, `sealing`, `done` or `failed`.
    pub state: String,
    pub values_total: i64,
    pub values_done: i64,
    pub objects_total: i64,
    pub objects_done: i64,
    pub requested_by: String,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl RotationDto {
    pub fn is_unfinished(&self) -> bool {
        self.state == "waiting" || self.state == "sealing"
    }
}

#[server]
pub async fn data_key_status(slug: String) -> Result<DataKeyDto, AppError> {
    Box::pin(super::server::data_key_status(slug)).await
}

#[server]
pub async fn rotate_data_key(slug: String) -> Result<DataKeyDto, AppError> {
    Box::pin(super::server::rotate_data_key(slug)).await
}
