pub mod acme_account;
pub mod acme_challenge;
pub mod admin_factor;
pub mod api_key_prefix;
pub mod connect_payment;
pub mod flag;
pub mod flag_change;
pub mod fleet_unit;
pub mod lifecycle_event;
pub mod member_directory;
pub mod meter;
pub mod periodic_work;
pub mod plan;
pub mod plan_assignment;
pub mod platform_admin;
pub mod platform_audit;
pub mod retained_invoice;
pub mod session;
pub mod signup_invitation;
pub mod stripe_connected_account;
pub mod stripe_customer;
pub mod stripe_event;
pub mod stripe_mirror;
pub mod tenant;
pub mod tenant_cost;
pub mod tenant_move;
pub mod tls_certificate;
pub mod tls_issuance;
pub mod verified_host;
pub mod warm_unit;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod work_due;

/// Catalog rows about one tenant, behind the wall (catalog m0017) and
/// reached through `tenancy::TenantRecords`, which scopes every read to the
/// bound tenant and stamps it on every new row: application code never
/// names the column.
pub trait AboutTenant: sea_orm::EntityTrait {
    fn tenant_column() -> Self::Column;
}

macro_rules! about_tenant {
    ($($module:ident),*) => {$(
        impl AboutTenant for $module::Entity {
            fn tenant_column() -> $module::Column {
                $module::Column::Tenant
            }
        }
    )*};
}

about_tenant!(
    api_key_prefix,
    connect_payment,
    lifecycle_event,
    member_directory,
    plan_assignment,
    platform_audit,
    retained_invoice,
    stripe_connected_account,
    stripe_customer,
    tenant_cost,
    tls_certificate,
    tls_issuance,
    verified_host,
    webhook_delivery,
    work_due
);
