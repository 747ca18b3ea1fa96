//! Tenant-plane entities. Each one's `tenant_id` is stamped by
//! `TenantDb::insert` and filtered by the placement's wall; application code
//! never sets or filters it.

pub mod membership;
pub mod project;
pub mod task;
pub mod usage_event;
pub mod user;

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

tenant_owned!(membership, project, task, usage_event, user);
