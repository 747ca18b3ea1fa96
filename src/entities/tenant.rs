//! Tenant-plane entities. Each one's `tenant_id` is stamped by
//! `TenantDb::insert` and filtered by the placement's wall; application code
//! never sets or filters it.

pub mod api_key;
pub mod audit_entry;
pub mod billing_account;
pub mod branding;
pub mod connected_account;
pub mod credit_grant;
pub mod domain;
pub mod email_verification;
pub mod entitlement_override;
pub mod impersonation;
pub mod invitation;
pub mod invoice;
pub mod job;
pub mod key_rotation;
pub mod mail_message;
pub mod member_factor;
pub mod membership;
pub mod offer;
pub mod outgoing_event;
pub mod password_reset;
pub mod project;
pub mod purchase;
pub mod quota_usage;
pub mod sign_in_rule;
pub mod sso_config;
pub mod sso_identity;
pub mod support_access_refusal;
pub mod task;
pub mod tenant_export;
pub mod tenant_restore;
pub mod usage_event;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;

/// Lets the isolation engine stamp the owning tenant on insert.
pub trait TenantOwned {
    fn stamp_tenant(&mut self, tenant_id: sea_orm::prelude::Uuid);
}

macro_rules! tenant_owned {
    ($($module:ident),*) => {$(
        impl TenantOwned for $module::ActiveModel {
            fn stamp_tenant(&mut self, tenant_id: sea_orm::prelude::Uuid) {
                self.tenant_id = sea_orm::ActiveValue::Set(tenant_id);
            }
        }
    )*};
}

tenant_owned!(
    api_key,
    audit_entry,
    billing_account,
    branding,
    connected_account,
    domain,
    credit_grant,
    email_verification,
    entitlement_override,
    impersonation,
    invitation,
    invoice,
    job,
    key_rotation,
    mail_message,
    member_factor,
    membership,
    offer,
    outgoing_event,
    password_reset,
    project,
    purchase,
    quota_usage,
    sign_in_rule,
    sso_config,
    sso_identity,
    support_access_refusal,
    task,
    tenant_export,
    tenant_restore,
    usage_event,
    user,
    webhook_delivery,
    webhook_endpoint
);
