//! Billing and metering: usage events and meters, prices on plans, the
//! rating engine, invoices, billing accounts (past due, credit), and the
//! background work that closes periods and enforces the grace period.
//! See `docs/billing.md`.

pub mod accounts;
pub mod invoices;
pub mod meters;
pub mod period;
pub mod platform_usage;
pub mod prices;
pub mod rating;
pub mod stripe;
pub mod stripe_mirror;
pub mod stripe_webhook;
pub mod usage;

use crate::tenancy::Engine;

/// Closes ended periods (once their late window has passed) and suspends
/// tenants past due beyond the grace period, every few minutes; hourly,
/// records each tenant's stored bytes and purges events past retention; with
/// Stripe, mirrors every tenant's customer, subscription and usage there.
pub async fn run(engine: Engine) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
    let mut runs = 0u64;
    loop {
        tick.tick().await;
        if runs.is_multiple_of(12) {
            if let Err(e) = platform_usage::hourly(&engine, chrono::Utc::now()).await {
                tracing::error!(error = %e, "hourly usage pass failed; retried next hour");
            }
        }
        runs += 1;
        let now = chrono::Utc::now();
        if let Err(e) = invoices::finalize_due(&engine, now).await {
            tracing::error!(error = %e, "closing billing periods failed; retried on the next run");
        }
        if let Err(e) = accounts::suspend_overdue(&engine, now).await {
            tracing::error!(error = %e, "grace-period check failed; retried on the next run");
        }
        if let Err(e) = invoices::expire_retained(&engine, now).await {
            tracing::error!(error = %e, "removing invoices past retention failed; retried on the next run");
        }
        if let Err(e) = stripe_mirror::mirror_all(&engine, now).await {
            tracing::error!(error = %e, "mirroring billing to Stripe failed; retried on the next run");
        }
    }
}
