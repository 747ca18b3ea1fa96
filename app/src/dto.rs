//! Plain data shared with the browser. Built from core models on the server;
//! entities never cross this line.

use serde::{Deserialize, Serialize};
pub use tenantry_vocab::{InvitationState, JobState, Role, TenantState};

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
    Tenant {
        slug: String,
        suspended: bool,
        /// Shown to signed-in members while the tenant is past due.
        billing_notice: Option<String>,
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

/// A started impersonation: the single-use link to the tenant's host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImpersonationLinkDto {
    pub url: String,
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
            HostKind::Console => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.role.is_some_and(Role::can_administer))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub state: TenantState,
    pub placement: String,
    /// The schema or database name of a `schema` / `database` placement.
    pub location: Option<String>,
    pub created_at: String,
    pub deleted_at: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantDetail {
    pub tenant: TenantRow,
    pub branding: BrandingDto,
    pub url: String,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDto {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Whether the member's address is verified.
    #[serde(default)]
    pub verified: bool,
}

/// A webhook endpoint as its owner sees it (the secret only as a hint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDto {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub secret_hint: String,
    /// While a rotation overlaps: until when the previous secret still signs.
    pub previous_secret_until: Option<String>,
    pub created_at: String,
}

/// An endpoint with its signing secret, shown once after creation or rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSecretDto {
    pub endpoint: WebhookDto,
    pub secret: String,
}

/// One line of an endpoint's delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryDto {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub tenant_slug: String,
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_response: Option<String>,
    pub last_attempt_at: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
}

/// A custom domain with the DNS records its tenant must create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainDto {
    pub id: String,
    pub hostname: String,
    /// `pending`, `verified` or `lapsed`.
    pub state: String,
    pub is_primary: bool,
    pub txt_name: String,
    pub txt_value: String,
    pub cname_target: String,
    pub last_error: Option<String>,
    pub checked_at: Option<String>,
    pub verified_at: Option<String>,
}

/// A deletion receipt: what each store held of the tenant before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptDto {
    pub slug: String,
    pub purged_at: String,
    pub complete: bool,
    /// (store, before, after)
    pub stores: Vec<(String, u64, u64)>,
}

/// A tenant data export and its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDto {
    pub id: String,
    /// `queued`, `running`, `done`, `failed` or `expired`.
    pub state: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// On the tenant's own host, where its admins download it.
    pub download_url: Option<String>,
}

/// One entitlement the registry knows, for forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntitlementDef {
    pub key: String,
    pub label: String,
    /// `feature`, `limit`, `quota` or `rate`.
    pub kind: String,
    /// For a quota: `day` or `month`.
    pub period: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDto {
    pub key: String,
    pub name: String,
    pub tier: String,
    pub price_ref: String,
    pub placement_hint: String,
    pub quota_enforcement: String,
    /// Entitlement key → value as typed (`true`, `10`, empty: unlimited).
    pub values: Vec<(String, String)>,
    /// The plan's prices as JSON (see docs/billing.md).
    pub prices: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlansPage {
    pub plans: Vec<PlanDto>,
    pub registry: Vec<EntitlementDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageDto {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub period: Option<String>,
    pub enabled: bool,
    pub used: Option<i64>,
    pub limit: Option<i64>,
    pub overridden: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverrideDto {
    pub key: String,
    pub value: String,
    pub reason: String,
    pub expires_at: Option<String>,
    pub created_by: String,
    pub in_force: bool,
}

/// A tenant's plan, what it grants and how much is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanUsageDto {
    pub slug: String,
    pub plan_key: String,
    pub plan_name: String,
    pub tier: String,
    pub quota_enforcement: String,
    pub rows: Vec<UsageDto>,
    pub overrides: Vec<OverrideDto>,
    /// (key, name) of every plan: filled on the console only.
    pub plans: Vec<(String, String)>,
    pub registry: Vec<EntitlementDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagRowDto {
    pub key: String,
    pub description: String,
    pub kind: String,
    pub kill_switch: bool,
    pub targeting: String,
}

/// A flag as its editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagFormDto {
    pub key: String,
    pub description: String,
    pub kind: String,
    pub default: String,
    pub kill_switch: bool,
    pub value: String,
    pub allow: String,
    pub deny: String,
    pub plans: String,
    pub tiers: String,
    pub percentage: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagDetailDto {
    pub form: FlagFormDto,
    /// Live tenants whose value differs from the default: (slug, name, value).
    pub resolved: Vec<(String, String, String)>,
    pub live_tenants: usize,
    /// (when, who, what).
    pub history: Vec<(String, String, String)>,
}

/// An API key as its tenant's admins see it (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyDto {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub requests_per_second: Option<u32>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

/// A key just created, with the secret shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiKeyDto {
    pub key: ApiKeyDto,
    pub secret: String,
}

/// An invitation as the tenant's admins see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationDto {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: String,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub state: InvitationState,
}

/// What an invitation link offers, shown before it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationOfferDto {
    pub email: String,
    pub role: Role,
    pub organisation: String,
}

/// A message in the console's dev mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailDto {
    pub id: String,
    pub to: String,
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// A tenant's single sign-on settings as its admins see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoDto {
    pub issuer: String,
    pub client_id: String,
    pub has_client_secret: bool,
    pub allowed_domains: String,
    pub jit_provisioning: bool,
    pub default_role: Role,
    pub enforce_sso: bool,
    pub break_glass_email: String,
    pub updated: String,
}

/// The single sign-on page: this host's callback and the settings, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoPageDto {
    pub redirect_uri: String,
    pub config: Option<SsoDto>,
    /// The TXT record proving an email domain: its name with `<domain>` in
    /// place of the domain, and the value it must hold.
    pub domain_proof_name: String,
    pub domain_proof_value: String,
}

/// One meter's usage over a period, for a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterChartDto {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub aggregation: String,
    pub total: i64,
    /// `(YYYY-MM-DD, value)` for every day of the period.
    pub daily: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLineDto {
    pub description: String,
    pub quantity: i64,
    pub included: i64,
    pub unit_amount: Option<i64>,
    /// Tiers applied, as text (`1–1000 × 0.00, 1001+ × 0.02`).
    pub tiers: String,
    pub amount: i64,
    pub prorated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceDto {
    /// Empty for the preview.
    pub number: String,
    pub period: String,
    pub currency: String,
    pub subtotal: i64,
    pub credits_applied: i64,
    pub total: i64,
    /// `preview`, `open`, `paid`.
    pub status: String,
    pub lines: Vec<InvoiceLineDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingDto {
    pub slug: String,
    pub period: String,
    pub plan_name: String,
    /// `active` or `past_due`.
    pub standing: String,
    pub notice: Option<String>,
    pub credit_balance: i64,
    pub meters: Vec<MeterChartDto>,
    pub preview: InvoiceDto,
    pub invoices: Vec<InvoiceDto>,
    pub on_console: bool,
    /// Payments are collected through Stripe (a billing-portal link is offered).
    pub stripe: bool,
}

/// `12.34 USD` from minor units (two decimals).
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

/// A meter as the console lists and edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterDefDto {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub aggregation: String,
    pub property: String,
    /// `property=value` per line.
    pub filters: String,
    pub built_in: bool,
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

/// How many jobs of one kind one tenant has in each state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobCountDto {
    pub slug: String,
    pub kind: String,
    pub queued: u64,
    pub running: u64,
    pub dead: u64,
    pub done: u64,
    pub cancelled: u64,
}

/// The job queue across tenants (the console's jobs page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOverviewDto {
    pub counts: Vec<JobCountDto>,
    /// Dead and waiting jobs, newest first.
    pub attention: Vec<JobDto>,
    pub tenants_not_shown: u64,
}

/// A tenant's own long work: its latest jobs and a move under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantWorkDto {
    pub jobs: Vec<JobDto>,
    pub moving: Option<MoveDto>,
}
