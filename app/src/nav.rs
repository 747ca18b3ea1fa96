//! The navigation bars, one table each. Every path here is a page of `App`:
//! the server's `every_navigation_link_opens_a_page` test opens each one
//! signed in and fails on a missing route.

/// What every signed-in member reaches from the header, after the
/// product's own "Projects".
pub const TENANT_MEMBER: &[(&str, &str)] = &[("/shop", "Shop"), ("/account", "Account")];

/// What a tenant's owners and admins reach from the header, after the
/// product's own "Projects".
pub const TENANT_ADMIN: &[(&str, &str)] = &[
    ("/admin", "Members"),
    ("/admin/branding", "Branding"),
    ("/admin/domains", "Domains"),
    ("/admin/webhooks", "Webhooks"),
    ("/admin/api-keys", "API keys"),
    ("/admin/sso", "SSO"),
    ("/admin/data", "Data"),
    ("/admin/plan", "Plan"),
    ("/admin/billing", "Billing"),
    ("/admin/payments", "Payments"),
    ("/admin/audit", "Audit"),
];

/// The console's header.
pub const CONSOLE: &[(&str, &str)] = &[
    ("/console", "Tenants"),
    ("/console/plans", "Plans"),
    ("/console/meters", "Meters"),
    ("/console/flags", "Flags"),
    ("/console/fleet", "Fleet"),
    ("/console/webhooks", "Webhooks"),
    ("/console/audit", "Audit log"),
    ("/console/jobs", "Jobs"),
    ("/console/costs", "Costs"),
    ("/console/payments", "Payments"),
    ("/console/mailbox", "Mailbox"),
    ("/console/account", "Account"),
];
