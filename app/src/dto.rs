//! Plain data shared with the browser. Built from core models on the server;
//! entities never cross this line.

use serde::{Deserialize, Serialize};

pub use tenantry_vocab::{
    DeliveryState, DomainState, ExportState, InvitationState, InvoiceStatus, JobState, Role,
    TenantState,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrandingDto {
    pub display_name: String,
    pub primary_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub login_text: Option<String>,
    pub product_name: Option<String>,
    pub support_email: Option<String>,
    pub primary_color_dark: Option<String>,
    pub accent_color_dark: Option<String>,
    pub favicon_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HostKind {
    Console,
    /// The platform's public site on the base host (signup).
    Site,
    Tenant {
        slug: String,
        suspended: bool,
        /// Shown to signed-in members while the tenant is past due.
        billing_notice: Option<String>,
        /// Whether its sign-in page offers single sign-on: part of the
        /// context, so that page needs no call and no resource of its own.
        sso_offered: bool,
        /// Boxed: far larger than the console variant.
        branding: Box<BrandingDto>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// The member's role on a tenant; none for a superadmin on the console.
    pub role: Option<Role>,
}

/// What every page needs to know about where it is and who is looking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageCtx {
    pub host: HostKind,
    pub viewer: Option<Viewer>,
    /// On a tenant host: every feature flag's value for the viewer, as JSON
    /// text (`"true"`, `"\"blue\""`). Read with [`PageCtx::flag_on`].
    pub flags: std::collections::BTreeMap<String, String>,
    /// On a tenant host, while a superadmin acts as the viewer.
    #[serde(default)]
    pub impersonation: Option<ImpersonationDto>,
}

/// A support session in progress, as its banner shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImpersonationDto {
    pub admin_email: String,
    pub user_email: String,
    pub reason: String,
    pub expires_at: String,
}

impl PageCtx {
    /// Whether a boolean flag is on for whoever is looking.
    pub fn flag_on(&self, key: &str) -> bool {
        self.flags.get(key).is_some_and(|v| v == "true")
    }

    pub fn branding(&self) -> Option<&BrandingDto> {
        match &self.host {
            HostKind::Tenant { branding, .. } => Some(branding.as_ref()),
            HostKind::Console | HostKind::Site => None,
        }
    }

    /// Whether this is a tenant's host whose sign-in page offers single
    /// sign-on.
    pub fn sso_offered(&self) -> bool {
        matches!(
            self.host,
            HostKind::Tenant {
                sso_offered: true,
                ..
            }
        )
    }

    pub fn is_admin(&self) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.role.is_some_and(Role::can_administer))
    }
}

/// A tenant's move between placements, as far as it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveDto {
    pub from: String,
    pub to: String,
    pub step: String,
    pub rows_total: i64,
    pub rows_copied: i64,
    pub freeze_ms: Option<i64>,
    pub error: Option<String>,
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub tenant: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectDto {
    pub id: String,
    pub name: String,
    pub task_count: u64,
    pub done_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDto {
    pub id: String,
    pub title: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectPage {
    pub project: ProjectDto,
    pub tasks: Vec<TaskDto>,
}

/// A background job as the console and the tenant's admins see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDto {
    pub id: String,
    pub slug: String,
    pub kind: String,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// A tenant's own long work: a page of its jobs and a move under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantWorkDto {
    pub jobs: PageDto<JobDto>,
    pub moving: Option<MoveDto>,
}

/// One page of a long list, newest first, and the cursor of the next
/// (older) page when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageDto<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
}
