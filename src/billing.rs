//! Billing and metering: usage events and meters, prices on plans, the
//! rating engine, invoices, billing accounts (past due, credit), and the
//! background work that closes periods and enforces the grace period.
//! See `docs/billing.md`.

pub mod accounts;
pub mod connect;
pub mod fees;
pub mod invoices;
pub mod mirror_jobs;
pub mod period;
pub mod platform_usage;
pub mod rating;
pub mod stripe;
pub mod stripe_mirror;
pub mod stripe_webhook;
pub mod usage;

use crate::jobs::periodic::Periodic;
use crate::tenancy::Engine;
use chrono::Utc;
use std::time::Duration;

/// The billing's periodic work, each kind once per period across all
/// instances (`jobs::periodic`): every five minutes, closing ended periods
/// (once their late window has passed), suspending tenants past due beyond
/// the grace period, removing retained invoices past retention and, with
/// Stripe, mirroring every tenant's customer, subscription and usage there;
/// hourly, recording each tenant's stored bytes and purging events past
/// retention. A failed run is retried the next period.
pub fn periodic_work() -> Vec<Periodic> {
    const FIVE_MINUTES: Duration = Duration::from_secs(300);
    vec![
        Periodic::new(
            "billing.hourly_usage",
            Duration::from_secs(3600),
            |e: Engine| async move { platform_usage::hourly(&e, Utc::now()).await.map(|()| 0) },
        ),
        Periodic::new(
            "billing.close_periods",
            FIVE_MINUTES,
            |e: Engine| async move { Ok(invoices::finalize_due(&e, Utc::now()).await? as u64) },
        ),
        Periodic::new(
            "billing.suspend_overdue",
            FIVE_MINUTES,
            |e: Engine| async move { Ok(accounts::suspend_overdue(&e, Utc::now()).await? as u64) },
        ),
        Periodic::new(
            "billing.expire_retained",
            FIVE_MINUTES,
            |e: Engine| async move { invoices::expire_retained(&e, Utc::now()).await },
        ),
        Periodic::new(
            "billing.mirror_stripe",
            FIVE_MINUTES,
            |e: Engine| async move { mirror_jobs::queue_all(&e, Utc::now()).await },
        ),
    ]
}
