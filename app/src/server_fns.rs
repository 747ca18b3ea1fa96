//! Every server function of the application. Each body is one call into the
//! server-only `backend`; the attack suite enumerates these at run time from
//! the registry, so a new one is covered without edits.

// Server functions mirror their forms field by field; the branding form has
// more fields than clippy's default limit, and the attribute cannot reach the
// client stub the `#[server]` macro generates, so it is allowed here.
#![allow(clippy::too_many_arguments)]

use crate::dto::*;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend;

#[server]
pub async fn page_context() -> Result<PageCtx, AppError> {
    backend::session::page_context().await
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    backend::session::sign_in(email, password).await
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    backend::session::logout().await
}

#[server]
pub async fn list_tenants(query: String, state: String) -> Result<Vec<TenantRow>, AppError> {
    backend::console::list_tenants(query, state).await
}

#[server]
pub async fn create_tenant(
    slug: String,
    name: String,
    admin_email: String,
    admin_password: String,
    /// Empty or absent: the deployment's default.
    placement: Option<String>,
    /// A checkbox: present to provision ahead and leave the tenant pending.
    pending: Option<String>,
) -> Result<TenantRow, AppError> {
    let placement = placement.unwrap_or_default();
    let pending = pending.is_some_and(|v| !v.is_empty() && v != "false");
    backend::console::create_tenant(slug, name, admin_email, admin_password, placement, pending)
        .await
}

/// Purges a deleted tenant now (typed confirmation), returning its receipt.
#[server]
pub async fn purge_tenant(slug: String, confirm: String) -> Result<ReceiptDto, AppError> {
    backend::console::purge_tenant(slug, confirm).await
}

#[server]
pub async fn activate_tenant(slug: String) -> Result<TenantRow, AppError> {
    backend::console::activate_tenant(slug).await
}

#[server]
pub async fn get_tenant(slug: String) -> Result<TenantDetail, AppError> {
    backend::console::get_tenant(slug).await
}

#[server]
pub async fn move_tenant(slug: String, to: String) -> Result<MoveDto, AppError> {
    backend::placements::move_tenant(slug, to).await
}

#[server]
pub async fn move_status(slug: String) -> Result<Option<MoveDto>, AppError> {
    backend::placements::move_status(slug).await
}

#[server]
pub async fn rollback_move(slug: String) -> Result<MoveDto, AppError> {
    backend::placements::rollback_move(slug).await
}

#[server]
pub async fn fleet_status() -> Result<FleetDto, AppError> {
    backend::placements::fleet_status().await
}

#[server]
pub async fn suspend_tenant(slug: String) -> Result<TenantRow, AppError> {
    backend::console::suspend_tenant(slug).await
}

#[server]
pub async fn resume_tenant(slug: String) -> Result<TenantRow, AppError> {
    backend::console::resume_tenant(slug).await
}

#[server]
pub async fn delete_tenant(slug: String, confirm: String) -> Result<TenantRow, AppError> {
    backend::console::delete_tenant(slug, confirm).await
}

#[server]
pub async fn list_audit() -> Result<Vec<AuditRow>, AppError> {
    backend::console::list_audit().await
}

#[server]
pub async fn list_projects() -> Result<Vec<ProjectDto>, AppError> {
    backend::product::list_projects().await
}

#[server]
pub async fn create_project(name: String) -> Result<ProjectDto, AppError> {
    backend::product::create_project(name).await
}

#[server]
pub async fn rename_project(id: String, name: String) -> Result<ProjectDto, AppError> {
    backend::product::rename_project(id, name).await
}

#[server]
pub async fn delete_project(id: String) -> Result<(), AppError> {
    backend::product::delete_project(id).await
}

#[server]
pub async fn get_project(id: String) -> Result<ProjectPage, AppError> {
    backend::product::get_project(id).await
}

#[server]
pub async fn create_task(project_id: String, title: String) -> Result<TaskDto, AppError> {
    backend::product::create_task(project_id, title).await
}

#[server]
pub async fn set_task_done(task_id: String, done: bool) -> Result<TaskDto, AppError> {
    backend::product::set_task_done(task_id, done).await
}

#[server]
pub async fn rename_task(task_id: String, title: String) -> Result<TaskDto, AppError> {
    backend::product::rename_task(task_id, title).await
}

#[server]
pub async fn delete_task(task_id: String) -> Result<(), AppError> {
    backend::product::delete_task(task_id).await
}

#[server]
pub async fn list_members() -> Result<Vec<MemberDto>, AppError> {
    backend::members::list_members().await
}

#[server]
pub async fn add_member(
    email: String,
    display_name: String,
    password: String,
    role: String,
) -> Result<MemberDto, AppError> {
    backend::members::add_member(email, display_name, password, role).await
}

#[server]
pub async fn change_role(user_id: String, role: String) -> Result<MemberDto, AppError> {
    backend::members::change_role(user_id, role).await
}

#[server]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    backend::members::remove_member(user_id).await
}

/// One argument per field of the branding form (so it also posts without
/// JavaScript); the later fields are optional so that a form without them
/// (or an older client) leaves them empty rather than failing.
#[server]
pub async fn save_branding(
    display_name: String,
    primary_color: String,
    accent_color: String,
    logo_url: String,
    login_text: String,
    product_name: Option<String>,
    support_email: Option<String>,
    primary_color_dark: Option<String>,
    accent_color_dark: Option<String>,
) -> Result<BrandingDto, AppError> {
    backend::members::save_branding(tenantry::branding::BrandingInput {
        display_name,
        primary_color,
        accent_color,
        logo_url,
        login_text,
        product_name: product_name.unwrap_or_default(),
        support_email: support_email.unwrap_or_default(),
        primary_color_dark: primary_color_dark.unwrap_or_default(),
        accent_color_dark: accent_color_dark.unwrap_or_default(),
    })
    .await
}

#[server]
pub async fn list_webhooks() -> Result<Vec<WebhookDto>, AppError> {
    backend::webhooks::list_webhooks().await
}

#[server]
pub async fn create_webhook(
    url: String,
    description: String,
    events: String,
) -> Result<WebhookSecretDto, AppError> {
    backend::webhooks::create_webhook(url, description, events).await
}

#[server]
pub async fn rotate_webhook_secret(endpoint_id: String) -> Result<WebhookSecretDto, AppError> {
    backend::webhooks::rotate_webhook_secret(endpoint_id).await
}

#[server]
pub async fn set_webhook_enabled(
    endpoint_id: String,
    enabled: bool,
) -> Result<WebhookDto, AppError> {
    backend::webhooks::set_webhook_enabled(endpoint_id, enabled).await
}

#[server]
pub async fn remove_webhook(endpoint_id: String) -> Result<(), AppError> {
    backend::webhooks::remove_webhook(endpoint_id).await
}

#[server]
pub async fn webhook_deliveries(endpoint_id: String) -> Result<Vec<DeliveryDto>, AppError> {
    backend::webhooks::webhook_deliveries(endpoint_id).await
}

#[server]
pub async fn resend_delivery(delivery_id: String) -> Result<(), AppError> {
    backend::webhooks::resend_delivery(delivery_id).await
}

#[server]
pub async fn list_domains(slug: String) -> Result<Vec<DomainDto>, AppError> {
    backend::domains::list_domains(slug).await
}

#[server]
pub async fn add_domain(slug: String, hostname: String) -> Result<DomainDto, AppError> {
    backend::domains::add_domain(slug, hostname).await
}

#[server]
pub async fn verify_domain(slug: String, domain_id: String) -> Result<DomainDto, AppError> {
    backend::domains::verify_domain(slug, domain_id).await
}

#[server]
pub async fn make_domain_primary(slug: String, domain_id: String) -> Result<DomainDto, AppError> {
    backend::domains::make_domain_primary(slug, domain_id).await
}

#[server]
pub async fn remove_domain(slug: String, domain_id: String) -> Result<(), AppError> {
    backend::domains::remove_domain(slug, domain_id).await
}

#[server]
pub async fn request_export(slug: String) -> Result<ExportDto, AppError> {
    backend::exports::request_export(slug).await
}

#[server]
pub async fn list_exports(slug: String) -> Result<Vec<ExportDto>, AppError> {
    backend::exports::list_exports(slug).await
}

#[server]
pub async fn list_plans() -> Result<PlansPage, AppError> {
    backend::plans::list_plans().await
}

/// A plan's own fields and one field per entitlement (named by its key;
/// checkboxes for features are absent when off).
#[server]
pub async fn save_plan(
    key: String,
    name: String,
    tier: String,
    price_ref: Option<String>,
    placement_hint: Option<String>,
    quota_enforcement: Option<String>,
    sso: Option<String>,
    custom_domains: Option<String>,
    api_access: Option<String>,
    max_members: Option<String>,
    max_projects: Option<String>,
    api_requests_per_month: Option<String>,
    events_per_day: Option<String>,
    requests_per_second: Option<String>,
    burst: Option<String>,
    prices: Option<String>,
) -> Result<PlanDto, AppError> {
    let entitlements = [
        ("sso", sso),
        ("custom_domains", custom_domains),
        ("api_access", api_access),
        ("max_members", max_members),
        ("max_projects", max_projects),
        ("api_requests_per_month", api_requests_per_month),
        ("events_per_day", events_per_day),
        ("requests_per_second", requests_per_second),
        ("burst", burst),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
    .collect();
    let input = tenantry::plans::store::PlanInput {
        key,
        name,
        tier,
        price_ref: price_ref.unwrap_or_default(),
        placement_hint: placement_hint.unwrap_or_default(),
        quota_enforcement: quota_enforcement.unwrap_or_default(),
        entitlements,
        prices: prices.unwrap_or_default(),
    };
    backend::plans::save_plan(input).await
}

#[server]
pub async fn remove_plan(key: String) -> Result<(), AppError> {
    backend::plans::remove_plan(key).await
}

#[server]
pub async fn plan_usage(slug: String) -> Result<PlanUsageDto, AppError> {
    backend::plans::plan_usage(slug).await
}

#[server]
pub async fn assign_plan(slug: String, plan: String) -> Result<(), AppError> {
    backend::plans::assign_plan(slug, plan).await
}

#[server]
pub async fn set_override(
    slug: String,
    key: String,
    value: String,
    reason: String,
    expires_at: Option<String>,
) -> Result<(), AppError> {
    let input = tenantry::plans::overrides::OverrideInput {
        key,
        value,
        reason,
        expires_at: expires_at.unwrap_or_default(),
    };
    backend::plans::set_override(slug, input).await
}

#[server]
pub async fn remove_override(slug: String, key: String) -> Result<(), AppError> {
    backend::plans::remove_override(slug, key).await
}

#[server]
pub async fn list_flags() -> Result<Vec<FlagRowDto>, AppError> {
    backend::flags::list_flags().await
}

#[server]
pub async fn get_flag(key: String) -> Result<FlagDetailDto, AppError> {
    backend::flags::get_flag(key).await
}

/// Creates or changes a flag; returns its key.
#[server]
pub async fn save_flag(
    key: String,
    description: Option<String>,
    kind: String,
    default: Option<String>,
    kill_switch: Option<String>,
    value: Option<String>,
    allow: Option<String>,
    deny: Option<String>,
    plans: Option<String>,
    tiers: Option<String>,
    percentage: Option<String>,
) -> Result<String, AppError> {
    let input = tenantry::flags::store::FlagInput {
        key,
        description: description.unwrap_or_default(),
        kind,
        default: default.unwrap_or_default(),
        kill_switch: kill_switch.is_some_and(|v| !v.is_empty() && v != "false"),
        value: value.unwrap_or_default(),
        allow: allow.unwrap_or_default(),
        deny: deny.unwrap_or_default(),
        plans: plans.unwrap_or_default(),
        tiers: tiers.unwrap_or_default(),
        percentage: percentage.unwrap_or_default(),
    };
    backend::flags::save_flag(input).await
}

#[server]
pub async fn set_kill_switch(key: String, on: bool) -> Result<(), AppError> {
    backend::flags::set_kill_switch(key, on).await
}

#[server]
pub async fn remove_flag(key: String) -> Result<(), AppError> {
    backend::flags::remove_flag(key).await
}

#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyDto>, AppError> {
    backend::api_keys::list_api_keys().await
}

/// `expires_in_days` empty: the key does not expire; `requests_per_second`
/// empty: only the organisation's rate limit applies.
#[server]
pub async fn create_api_key(
    name: String,
    role: String,
    expires_in_days: String,
    requests_per_second: String,
) -> Result<CreatedApiKeyDto, AppError> {
    backend::api_keys::create_api_key(name, role, expires_in_days, requests_per_second).await
}

#[server]
pub async fn revoke_api_key(key_id: String) -> Result<ApiKeyDto, AppError> {
    backend::api_keys::revoke_api_key(key_id).await
}

#[server]
pub async fn list_invitations() -> Result<Vec<InvitationDto>, AppError> {
    backend::invitations::list_invitations().await
}

#[server]
pub async fn invite_member(email: String, role: String) -> Result<InvitationDto, AppError> {
    backend::invitations::invite_member(email, role).await
}

#[server]
pub async fn resend_invitation(invitation_id: String) -> Result<InvitationDto, AppError> {
    backend::invitations::resend_invitation(invitation_id).await
}

#[server]
pub async fn revoke_invitation(invitation_id: String) -> Result<InvitationDto, AppError> {
    backend::invitations::revoke_invitation(invitation_id).await
}

#[server]
pub async fn invitation_offer(token: String) -> Result<InvitationOfferDto, AppError> {
    backend::invitations::invitation_offer(token).await
}

/// Creates the invited account; returns its email (to sign in with).
#[server]
pub async fn accept_invitation(
    token: String,
    display_name: String,
    password: String,
) -> Result<String, AppError> {
    backend::invitations::accept_invitation(token, display_name, password).await
}

#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    backend::invitations::request_password_reset(email).await
}

#[server]
pub async fn reset_link_valid(token: String) -> Result<(), AppError> {
    backend::invitations::reset_link_valid(token).await
}

#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    backend::invitations::reset_password(token, password).await
}

#[server]
pub async fn job_overview() -> Result<JobOverviewDto, AppError> {
    backend::jobs::job_overview().await
}

#[server]
pub async fn retry_job(slug: String, job_id: String) -> Result<(), AppError> {
    backend::jobs::retry_job(slug, job_id).await
}

#[server]
pub async fn cancel_job(slug: String, job_id: String) -> Result<(), AppError> {
    backend::jobs::cancel_job(slug, job_id).await
}

#[server]
pub async fn tenant_work(slug: String) -> Result<TenantWorkDto, AppError> {
    backend::jobs::tenant_work(slug).await
}

#[server]
pub async fn list_mailbox() -> Result<Vec<MailDto>, AppError> {
    backend::console::list_mailbox().await
}

#[server]
pub async fn get_sso() -> Result<SsoPageDto, AppError> {
    backend::sso::get_sso().await
}

/// Checkboxes are present when ticked; an empty secret keeps the stored one.
#[server]
pub async fn save_sso(
    issuer: String,
    client_id: String,
    client_secret: String,
    allowed_domains: String,
    jit_provisioning: Option<String>,
    default_role: String,
    enforce_sso: Option<String>,
    break_glass_email: String,
) -> Result<SsoDto, AppError> {
    let ticked = |v: Option<String>| v.is_some_and(|v| !v.is_empty() && v != "false");
    backend::sso::save_sso(tenantry::identity::sso::config::SsoInput {
        issuer,
        client_id,
        client_secret,
        allowed_domains,
        jit_provisioning: ticked(jit_provisioning),
        default_role,
        enforce_sso: ticked(enforce_sso),
        break_glass_email,
    })
    .await
}

#[server]
pub async fn remove_sso() -> Result<(), AppError> {
    backend::sso::remove_sso().await
}

/// Whether this tenant's sign-in page offers single sign-on.
#[server]
pub async fn sso_available() -> Result<bool, AppError> {
    backend::sso::sso_available().await
}

/// Starts a support session as a tenant's member; the link to open it.
#[server]
pub async fn impersonate(
    slug: String,
    email: String,
    reason: String,
) -> Result<ImpersonationLinkDto, AppError> {
    backend::console::impersonate(slug, email, reason).await
}

#[server]
pub async fn list_tenant_audit() -> Result<Vec<AuditRow>, AppError> {
    backend::tenant_audit::list_tenant_audit().await
}

#[server]
pub async fn support_access_refused() -> Result<bool, AppError> {
    backend::tenant_audit::support_access_refused().await
}

/// A checkbox: present to refuse support access.
#[server]
pub async fn set_support_access(refuse: Option<String>) -> Result<(), AppError> {
    let refuse = refuse.is_some_and(|v| !v.is_empty() && v != "false");
    backend::tenant_audit::set_support_access(refuse).await
}

/// Sends a member a link to verify their email address.
#[server]
pub async fn send_verification(user_id: String) -> Result<(), AppError> {
    backend::members::send_verification(user_id).await
}

/// Uses a verification link; returns the address it verified.
#[server]
pub async fn verify_email(token: String) -> Result<String, AppError> {
    backend::members::verify_email(token).await
}

#[server]
pub async fn billing_overview(slug: String) -> Result<BillingDto, AppError> {
    backend::billing::billing_overview(slug).await
}

/// A Stripe billing-portal link for entering payment details.
#[server]
pub async fn billing_portal(slug: String) -> Result<String, AppError> {
    backend::billing::billing_portal(slug).await
}

#[server]
pub async fn grant_credit(slug: String, amount: String, reason: String) -> Result<(), AppError> {
    backend::billing::grant_credit(slug, amount, reason).await
}

#[server]
pub async fn close_period(slug: String) -> Result<(), AppError> {
    backend::billing::close_period(slug).await
}

#[server]
pub async fn mark_invoice_paid(slug: String, number: String) -> Result<(), AppError> {
    backend::billing::mark_invoice_paid(slug, number).await
}

#[server]
pub async fn list_meters() -> Result<Vec<MeterDefDto>, AppError> {
    backend::billing::list_meters().await
}

#[server]
pub async fn save_meter(
    key: String,
    name: String,
    unit: Option<String>,
    aggregation: String,
    property: Option<String>,
    filters: Option<String>,
) -> Result<(), AppError> {
    let input = tenantry::plans::meters::MeterInput {
        key,
        name,
        unit: unit.unwrap_or_default(),
        aggregation,
        property: property.unwrap_or_default(),
        filters: filters.unwrap_or_default(),
    };
    backend::billing::save_meter(input).await
}
