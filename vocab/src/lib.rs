//! The vocabulary the core, the server functions and the browser share:
//! roles and states as enums, so that no side compares them as text. Each
//! serialises as the lowercase word the database and the wire already use.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A member's role in one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    /// Reads everything members read, changes nothing.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Everyone but viewers may change the tenant's data.
    pub fn can_write(self) -> bool {
        !matches!(self, Role::Viewer)
    }

    /// Owners and admins manage members and branding.
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// Lifecycle: pending → active → suspended ⇄ active → deleted (→ purged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantState {
    Pending,
    Active,
    Suspended,
    Deleted,
}

impl TenantState {
    pub const ALL: [TenantState; 4] = [
        TenantState::Pending,
        TenantState::Active,
        TenantState::Suspended,
        TenantState::Deleted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            TenantState::Pending => "pending",
            TenantState::Active => "active",
            TenantState::Suspended => "suspended",
            TenantState::Deleted => "deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }
}

/// Where a tenant's tenant-plane rows live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Shared Postgres tables behind row-level security.
    Pool,
    /// A Postgres schema of its own (plus row-level security).
    Schema,
    /// A database of its own: a Postgres database (plus row-level security),
    /// or a SQLite file in the embedded default.
    Database,
}

impl Placement {
    pub const ALL: [Placement; 3] = [Placement::Pool, Placement::Schema, Placement::Database];

    pub const fn as_str(self) -> &'static str {
        match self {
            Placement::Pool => "pool",
            Placement::Schema => "schema",
            Placement::Database => "database",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationState {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl InvitationState {
    pub const fn as_str(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Revoked => "revoked",
            InvitationState::Expired => "expired",
        }
    }

    /// A pending or expired invitation can be sent again or revoked.
    pub fn is_open(self) -> bool {
        matches!(self, InvitationState::Pending | InvitationState::Expired)
    }
}

/// Where a background job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Out of attempts: kept for a superadmin to look at and retry.
    Dead,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
        JobState::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    /// Still to run or running.
    pub fn is_unfinished(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }

    /// A superadmin may queue it again.
    pub fn can_retry(self) -> bool {
        matches!(self, JobState::Dead | JobState::Cancelled)
    }

    /// A superadmin may cancel it (a running job ends on its own).
    pub fn can_cancel(self) -> bool {
        self == JobState::Queued
    }
}

/// What a route or server function needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Anyone, signed in or not (sign-in, invitations, the page context).
    Anyone,
    /// Any member of the host's tenant, viewers included: reads.
    Reader,
    /// A member who may change data: everyone but viewers.
    Writer,
    /// An owner or admin of the host's tenant.
    Admin,
    /// An owner of the host's tenant.
    Owner,
    /// A superadmin, on the console host.
    Superadmin,
    /// Managing one tenant: its owners and admins on its host, or a superadmin
    /// on the console.
    Manage,
    /// Whoever is signed in on this host: any member of its tenant, or a
    /// superadmin on the console (their own account: its second factor).
    SignedIn,
}

impl Need {
    /// Whether a caller holding this need may change data (its transaction is
    /// opened for writing).
    pub fn writes(self) -> bool {
        !matches!(self, Need::Anyone | Need::Reader)
    }

    /// Whether the need can be met on this kind of host: console needs only
    /// on the console, a tenant's needs only on its hosts, `anyone` and
    /// `manage` on both. Elsewhere the caller is answered "not found".
    pub fn fits_host(self, on_console: bool) -> bool {
        match self {
            Need::Anyone | Need::Manage | Need::SignedIn => true,
            Need::Superadmin => on_console,
            Need::Reader | Need::Writer | Need::Admin | Need::Owner => !on_console,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Need::Anyone => "anyone",
            Need::Reader => "reader",
            Need::Writer => "writer",
            Need::Admin => "admin",
            Need::Owner => "owner",
            Need::Superadmin => "superadmin",
            Need::Manage => "manage",
            Need::SignedIn => "signed_in",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(
    Role,
    TenantState,
    Placement,
    InvitationState,
    JobState,
    ExportState,
    DomainState,
    DeliveryState,
    InvoiceStatus
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_parses_back_and_serialises_as_itself() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).expect("json");
            assert_eq!(json, format!("\"{role}\""));
            assert_eq!(serde_json::from_str::<Role>(&json).expect("back"), role);
        }
        for state in JobState::ALL {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).expect("json");
            assert_eq!(json, format!("\"{state}\""));
        }
        for state in TenantState::ALL {
            assert_eq!(TenantState::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).expect("json");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!(Role::parse(" admin "), Some(Role::Admin));
        assert_eq!(Role::parse("superadmin"), None);
        assert!(Role::Admin.can_administer() && !Role::Member.can_administer());
        assert!(!Role::Viewer.can_write());
    }
}

/// Where a data export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportState {
    Queued,
    Running,
    Done,
    Failed,
    /// Its archive was deleted after `export_ttl_hours`.
    Expired,
}

impl ExportState {
    pub const ALL: [ExportState; 5] = [
        ExportState::Queued,
        ExportState::Running,
        ExportState::Done,
        ExportState::Failed,
        ExportState::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ExportState::Queued => "queued",
            ExportState::Running => "running",
            ExportState::Done => "done",
            ExportState::Failed => "failed",
            ExportState::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    /// Still to run or running.
    pub fn is_unfinished(self) -> bool {
        matches!(self, ExportState::Queued | ExportState::Running)
    }
}

/// Where a custom domain stands: only a verified one routes to its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainState {
    Pending,
    Verified,
    /// Verified once, then failed its re-checks.
    Lapsed,
}

impl DomainState {
    pub const ALL: [DomainState; 3] = [
        DomainState::Pending,
        DomainState::Verified,
        DomainState::Lapsed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DomainState::Pending => "pending",
            DomainState::Verified => "verified",
            DomainState::Lapsed => "lapsed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }
}

/// Where one webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Out of attempts.
    Failed,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 3] = [
        DeliveryState::Pending,
        DeliveryState::Delivered,
        DeliveryState::Failed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }
}

/// Where an invoice of the platform's own billing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceStatus {
    /// The current period's invoice so far, not yet issued.
    Preview,
    Open,
    Paid,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 3] = [
        InvoiceStatus::Preview,
        InvoiceStatus::Open,
        InvoiceStatus::Paid,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Preview => "preview",
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// `12.34 USD` from minor units of a two-decimal currency: how amounts read
/// on every page and in every letter.
pub fn money(amount: i64, currency: &str) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    format!(
        "{sign}{}.{:02} {}",
        abs / 100,
        abs % 100,
        currency.to_uppercase()
    )
}
