//! What each server function needs from its caller: the declaration the
//! gateway enforces before a function runs (an undeclared one is refused) and
//! the attack suite's privilege matrix checks, role by role, against what the
//! function actually allows. A function missing here fails the
//! `every_server_function_declares_its_need` test.

use tenantry::authz::Need::{self, *};

pub const SERVER_FNS: &[(&str, Need)] = &[
    // Anyone: the page shell, signing in and out.
    ("page_context", Anyone),
    ("sign_in", Anyone),
    ("logout", Anyone),
    // Reached from an email link, signed out.
    ("invitation_offer", Anyone),
    ("accept_invitation", Anyone),
    ("request_password_reset", Anyone),
    ("reset_link_valid", Anyone),
    ("reset_password", Anyone),
    ("sso_available", Anyone),
    ("verify_email", Anyone),
    // The product, on a tenant host.
    ("list_projects", Reader),
    ("get_project", Reader),
    ("create_project", Writer),
    ("rename_project", Writer),
    ("delete_project", Writer),
    ("create_task", Writer),
    ("set_task_done", Writer),
    ("rename_task", Writer),
    ("delete_task", Writer),
    // The tenant's own administration.
    ("list_members", Admin),
    ("add_member", Admin),
    ("change_role", Admin),
    ("remove_member", Admin),
    ("send_verification", Admin),
    ("save_branding", Admin),
    ("list_api_keys", Admin),
    ("create_api_key", Admin),
    ("revoke_api_key", Admin),
    ("list_invitations", Admin),
    ("invite_member", Admin),
    ("resend_invitation", Admin),
    ("revoke_invitation", Admin),
    ("get_sso", Admin),
    ("save_sso", Owner),
    ("remove_sso", Owner),
    ("list_tenant_audit", Admin),
    ("support_access_refused", Admin),
    ("set_support_access", Owner),
    // One tenant's settings: its admins on its host, superadmins on the console.
    ("list_webhooks", Manage),
    ("create_webhook", Manage),
    ("rotate_webhook_secret", Manage),
    ("set_webhook_enabled", Manage),
    ("remove_webhook", Manage),
    ("webhook_deliveries", Manage),
    ("resend_delivery", Manage),
    ("list_domains", Manage),
    ("add_domain", Manage),
    ("verify_domain", Manage),
    ("make_domain_primary", Manage),
    ("remove_domain", Manage),
    ("request_export", Manage),
    ("list_exports", Manage),
    ("tenant_work", Manage),
    ("plan_usage", Manage),
    ("billing_overview", Manage),
    ("billing_portal", Manage),
    // The console.
    ("list_tenants", Superadmin),
    ("create_tenant", Superadmin),
    ("purge_tenant", Superadmin),
    ("activate_tenant", Superadmin),
    ("get_tenant", Superadmin),
    ("move_tenant", Superadmin),
    ("move_status", Superadmin),
    ("rollback_move", Superadmin),
    ("fleet_status", Superadmin),
    ("suspend_tenant", Superadmin),
    ("resume_tenant", Superadmin),
    ("delete_tenant", Superadmin),
    ("list_audit", Superadmin),
    ("list_mailbox", Superadmin),
    ("job_overview", Superadmin),
    ("retry_job", Superadmin),
    ("cancel_job", Superadmin),
    ("impersonate", Superadmin),
    ("list_plans", Superadmin),
    ("save_plan", Superadmin),
    ("remove_plan", Superadmin),
    ("assign_plan", Superadmin),
    ("set_override", Superadmin),
    ("remove_override", Superadmin),
    ("list_flags", Superadmin),
    ("get_flag", Superadmin),
    ("save_flag", Superadmin),
    ("set_kill_switch", Superadmin),
    ("remove_flag", Superadmin),
    ("grant_credit", Superadmin),
    ("close_period", Superadmin),
    ("mark_invoice_paid", Superadmin),
    ("list_meters", Superadmin),
    ("save_meter", Superadmin),
];

/// The function a server-function URL names: its last segment without the
/// digits the macro appends (`/api/list_projects1234` → `list_projects`).
pub fn fn_name(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The need declared for the server function at `path`, if any.
pub fn need_of(path: &str) -> Option<Need> {
    let name = fn_name(path);
    SERVER_FNS
        .iter()
        .find(|(declared, _)| *declared == name)
        .map(|(_, need)| *need)
}
