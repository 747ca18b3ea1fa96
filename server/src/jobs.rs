//! The job kinds this server runs (see `tenantry::jobs`): every instance
//! runs a runner with these, and takes any tenant's due jobs of these kinds.

use tenantry::jobs::Registry;

pub fn registry() -> Registry {
    Registry::default()
        .tenant::<tenantry::exports::ProduceExport>()
        .tenant::<tenantry::lifecycle::key_rotation::RotateDataKey>()
        .tenant::<tenantry::lifecycle::restore::RestoreData>()
        .tenant::<tenantry::mail::outbox::SendMail>()
        .tenant::<tenantry::events::delivery::DeliverWebhooks>()
        .tenant::<tenantry::billing::mirror_jobs::MirrorToStripe>()
}
