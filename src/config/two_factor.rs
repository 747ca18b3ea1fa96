//! The `[two_factor]` section: what the platform asks of superadmins
//! (`identity::two_factor`). Tenants set their own rule for their members.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct TwoFactorSettings {
    /// Whether every superadmin must sign in with a second factor. Unset:
    /// required wherever `secure_cookies` is on, that is in production.
    pub superadmins_required: Option<bool>,
    /// How recent a second factor must be for impersonation and other
    /// sensitive console actions; older, the console asks for a code again.
    pub fresh_minutes: u32,
}

impl Default for TwoFactorSettings {
    fn default() -> Self {
        Self {
            superadmins_required: None,
            fresh_minutes: 10,
        }
    }
}
