//! The `[signup]` section: self-serve signup on the base host
//! (`lifecycle::signup`). Its own section with its own defaults, set in the
//! environment as `TENANTRY_SIGNUP__MODE=off` and so on.

use serde::{Deserialize, Serialize};
use tenantry_vocab::Placement;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    /// Anyone may sign an organisation up.
    Open,
    /// The signup page says signup is closed; operators create tenants.
    Off,
    /// Only with an invitation a superadmin issued for the address
    /// (`lifecycle::signup_invites`).
    Invite,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct SignupSettings {
    pub mode: SignupMode,
    /// Signups accepted from one client address per hour.
    pub per_address_per_hour: u32,
    /// How long the owner has to confirm their address before the pending
    /// tenant lapses and its slug is free again.
    pub confirm_hours: u32,
    /// Where a signup's tenant is placed. Unset: `default_placement`.
    pub placement: Option<Placement>,
    /// Units made ahead per placement that needs one (a schema, a database,
    /// a SQLite file), so that a signup claims one instead of waiting for
    /// DDL. 0 turns the warm pool off.
    pub warm_units: u32,
}

impl Default for SignupSettings {
    fn default() -> Self {
        Self {
            mode: SignupMode::Open,
            per_address_per_hour: 5,
            confirm_hours: 48,
            placement: None,
            warm_units: 2,
        }
    }
}
