//! Stripe mirroring as tenant jobs. The periodic `billing.mirror_stripe`
//! work (once per period across instances) queues one [`MirrorToStripe`]
//! job per active tenant, so one tenant's failure is retried with backoff
//! on its own and shows on the console's jobs page, and the tenants are
//! mirrored by every instance's runner, each within its fair share. A
//! deleted tenant's jobs are cancelled, never run: its subscription is
//! cancelled by the periodic work itself.

use super::stripe::{self as remote};
use super::stripe_mirror::{billed_tenants, cancel_departed, mirror_tenant};
use crate::error::Result;
use crate::jobs::{self, JobRun, NewJob, TenantJob};
use crate::tenancy::{Engine, TenantCtx, TenantId, TenantState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Mirrors the job's tenant (customer, subscription, usage) as of `at`.
#[derive(Serialize, Deserialize)]
pub struct MirrorToStripe {
    pub at: DateTime<Utc>,
}

impl TenantJob for MirrorToStripe {
    const KIND: &'static str = "billing.mirror_stripe";
    const MAX_ATTEMPTS: i32 = 4;

    async fn run(self, ctx: &TenantCtx, _: &JobRun) -> Result<()> {
        let engine = ctx.engine();
        let Some(client) = remote::client(engine).await? else {
            return Ok(()); // Stripe was switched off meanwhile
        };
        mirror_tenant(engine, &client, ctx.tenant(), self.at).await
    }
}

/// Queues a mirror job for every active tenant and cancels the subscriptions
/// of deleted ones; how many jobs it queued. Nothing without Stripe.
pub async fn queue_all(engine: &Engine, now: DateTime<Utc>) -> Result<u64> {
    let Some(client) = remote::client(engine).await? else {
        return Ok(0);
    };
    let mut queued = 0;
    for t in billed_tenants(engine).await? {
        let id = TenantId::from_uuid(t.id);
        let done = if t.state == TenantState::Deleted.as_str() {
            cancel_departed(engine, &client, id).await
        } else {
            match engine.ctx_for(id).await {
                Ok(ctx) => jobs::enqueue(&ctx, NewJob::new(&ctx, MirrorToStripe { at: now }))
                    .await
                    .map(|_| queued += 1),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = done {
            tracing::warn!(tenant_id = %t.id, error = %e, "stripe mirror not queued; retried on the next run");
        }
    }
    Ok(queued)
}
