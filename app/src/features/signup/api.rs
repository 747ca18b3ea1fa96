//! Self-serve signup and the first-run checklist: the server functions
//! (each body one call into `server.rs`) and what they carry.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tenantry_vocab::Need;

/// What each server function here needs from its caller (see
/// `backend::needs`). The signup functions answer only on the base host.
pub const NEEDS: &[(&str, Need)] = &[
    ("signup_options", Need::Anyone),
    ("check_slug", Need::Anyone),
    ("sign_up", Need::Anyone),
    ("first_run", Need::Admin),
];

/// What the signup page offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignupOptionsDto {
    /// Whether signup is open; the page says so when it is not.
    pub open: bool,
    /// Open only with an invitation (its link carries `?invite=`).
    #[serde(default)]
    pub by_invitation: bool,
    /// Tenants live at `<slug>.<base_domain>`.
    pub base_domain: String,
    pub plans: Vec<PlanOptionDto>,
    /// The plan a signup gets unless it picks another.
    pub default_plan: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOptionDto {
    pub key: String,
    pub name: String,
}

/// A signup accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignupDoneDto {
    /// Where the confirmation link went.
    pub email: String,
    /// The organisation's address once confirmed.
    pub origin: String,
}

/// The new tenant's first steps, each done or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstRunDto {
    pub organisation: String,
    pub branded: bool,
    pub invited: bool,
    pub domain: bool,
    pub plan_name: String,
}

#[server]
pub async fn signup_options() -> Result<SignupOptionsDto, AppError> {
    Box::pin(super::server::signup_options()).await
}

/// Ok with the organisation's future address when `slug` is free.
#[server]
pub async fn check_slug(slug: String) -> Result<String, AppError> {
    Box::pin(super::server::check_slug(slug)).await
}

#[server]
pub async fn sign_up(
    name: String,
    slug: String,
    email: String,
    password: String,
    plan: String,
    invite: String,
) -> Result<SignupDoneDto, AppError> {
    Box::pin(super::server::sign_up(
        name, slug, email, password, plan, invite,
    ))
    .await
}

#[server]
pub async fn first_run() -> Result<FirstRunDto, AppError> {
    Box::pin(super::server::first_run()).await
}
