//! The server functions of the cost views (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("noisiest_tenants", Need::Superadmin),
    ("tenant_activity", Need::Superadmin),
];

/// One point of a chart: where it stands, its value, and the value in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointDto {
    pub at: String,
    pub value: f64,
    pub text: String,
}

/// A chart of one figure over the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartDto {
    pub key: String,
    pub title: String,
    /// The figure over the whole period, in words.
    pub summary: String,
    /// What one bar is, in words.
    pub legend: String,
    pub points: Vec<PointDto>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityDto {
    pub slug: String,
    pub name: String,
    pub period: String,
    pub charts: Vec<ChartDto>,
}

/// A tenant among the noisiest by one cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoisyRowDto {
    pub slug: String,
    pub name: String,
    pub value: String,
    /// Its share of what every tenant cost by this measure.
    pub share: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoisyTableDto {
    pub key: String,
    pub title: String,
    pub rows: Vec<NoisyRowDto>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoisiestDto {
    pub period: String,
    pub tables: Vec<NoisyTableDto>,
}

/// The ten noisiest tenants by each cost over `period` (`hour`, `day`,
/// `month`; empty: day).
#[server]
pub async fn noisiest_tenants(period: Option<String>) -> Result<NoisiestDto, AppError> {
    Box::pin(super::server::noisiest_tenants(period.unwrap_or_default())).await
}

/// The tenant `slug`'s request rate, error rate, p95 latency and cost share
/// over `period`.
#[server]
pub async fn tenant_activity(
    slug: String,
    period: Option<String>,
) -> Result<ActivityDto, AppError> {
    Box::pin(super::server::tenant_activity(
        slug,
        period.unwrap_or_default(),
    ))
    .await
}
