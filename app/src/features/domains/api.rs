//! Custom domains: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::DomainState;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("list_domains", Need::Manage),
    ("add_domain", Need::Manage),
    ("verify_domain", Need::Manage),
    ("make_domain_primary", Need::Manage),
    ("remove_domain", Need::Manage),
];

/// A custom domain with the DNS records its tenant must create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainDto {
    pub id: String,
    pub hostname: String,
    /// `pending`, `verified` or `lapsed`.
    pub state: DomainState,
    pub is_primary: bool,
    pub txt_name: String,
    pub txt_value: String,
    pub cname_target: String,
    pub last_error: Option<String>,
    pub checked_at: Option<String>,
    pub verified_at: Option<String>,
}

#[server]
pub async fn list_domains(slug: String) -> Result<Vec<DomainDto>, AppError> {
    Box::pin(super::server::list_domains(slug)).await
}

#[server]
pub async fn add_domain(slug: String, hostname: String) -> Result<DomainDto, AppError> {
    Box::pin(super::server::add_domain(slug, hostname)).await
}

#[server]
pub async fn verify_domain(slug: String, domain_id: String) -> Result<DomainDto, AppError> {
    Box::pin(super::server::verify_domain(slug, domain_id)).await
}

#[server]
pub async fn make_domain_primary(slug: String, domain_id: String) -> Result<DomainDto, AppError> {
    Box::pin(super::server::make_domain_primary(slug, domain_id)).await
}

#[server]
pub async fn remove_domain(slug: String, domain_id: String) -> Result<(), AppError> {
    Box::pin(super::server::remove_domain(slug, domain_id)).await
}
