//! Signing in and out, and the page context: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::PageCtx;
use crate::error::AppError;
use crate::features::two_factor::api::EnrolmentDto;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("page_context", Need::Anyone),
    ("sign_in", Need::Anyone),
    ("sign_in_code", Need::Anyone),
    ("logout", Need::Anyone),
];

/// Where a right password leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignInStep {
    /// Signed in: the browser is on its way home.
    Done,
    /// A code from the authenticator app (or a recovery code) is next.
    Code,
    /// A second factor is required and the person has none: set one up now.
    Enrol(EnrolmentDto),
}

/// A sign-in completed by its second factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedInDto {
    pub home: String,
    /// Recovery codes of a factor set up just now, shown once (else empty,
    /// and the browser is on its way home).
    pub recovery_codes: Vec<String>,
}

#[server]
pub async fn page_context() -> Result<PageCtx, AppError> {
    Box::pin(super::server::page_context()).await
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<SignInStep, AppError> {
    Box::pin(super::server::sign_in(email, password)).await
}

/// The second step: a code (or a recovery code); with `ticket`, the first
/// code of a factor being set up.
#[server]
pub async fn sign_in_code(code: String, ticket: String) -> Result<SignedInDto, AppError> {
    Box::pin(super::server::sign_in_code(code, ticket)).await
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    Box::pin(super::server::logout()).await
}
