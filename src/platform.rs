//! Start-up chores shared by the binary and the tests: the development
//! bootstrap (first superadmin and a demo tenant) and periodic maintenance.

pub mod activity;

use crate::catalog::tenants::{self, NewTenant};
use crate::identity::admins;
use crate::jobs::periodic::Periodic;
use crate::session::CatalogSessionStore;
use crate::tenancy::Engine;
use rand::distributions::{Alphanumeric, DistString};
use std::path::Path;
use std::time::Duration;

/// What the development bootstrap created or found.
pub struct DevCredentials {
    pub text: String,
}

/// Handle to the platform's engine (kept as a named type for call sites that
/// want "the platform" rather than "the engine").
pub type Platform = Engine;

/// On an empty catalog: creates `admin@localhost` and a `demo` tenant with
/// random passwords, and writes them to `<data_dir>/dev-credentials.txt`
/// (mode 0600). On later runs, reads that file back. Development only.
pub async fn bootstrap_dev(engine: &Engine) -> crate::Result<DevCredentials> {
    let file = engine.settings().data_dir.join("dev-credentials.txt");
    if admins::count(engine).await? > 0 {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|_| "(superadmin already exists; credentials file not found)".into());
        return Ok(DevCredentials { text });
    }
    let admin_password = random_password();
    let demo_password = random_password();
    admins::create(engine, "admin@localhost", &admin_password, "bootstrap").await?;
    if tenants::get(engine, "demo").await.is_err() {
        crate::lifecycle::create(
            engine,
            NewTenant {
                slug: "demo".into(),
                name: "Demo Company".into(),
                admin_email: "owner@demo.localhost".into(),
                admin_password: demo_password.clone(),
                placement: String::new(),
                region: String::new(),
                pending: false,
                plan: String::new(),
            },
            "bootstrap",
        )
        .await?;
    }
    let text = format!(
        "superadmin: admin@localhost / {admin_password}\ndemo tenant owner: owner@demo.localhost / {demo_password}\n"
    );
    write_private(&file, &text).map_err(anyhow::Error::from)?;
    Ok(DevCredentials { text })
}

fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 20)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// The platform's periodic maintenance, each kind once per period across all
/// instances (`jobs::periodic`): every minute, custom domains due a DNS
/// re-check, certificates due renewal, export archives past expiry, warm
/// units refilled and unconfirmed signups lapsed; hourly, tenants past
/// their grace period purged and expired sessions removed. With
/// [`crate::billing::periodic_work`], the server's whole list.
pub fn periodic_work() -> Vec<Periodic> {
    const MINUTE: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);
    let mut work = vec![
        Periodic::new("domains.recheck", MINUTE, |e: Engine| async move {
            Ok(crate::domains::recheck_due(&e).await? as u64)
        }),
        Periodic::new("tls.renew", MINUTE, |e: Engine| async move {
            Ok(crate::tls::renew_due(&e).await? as u64)
        }),
        Periodic::new("exports.expire", MINUTE, |e: Engine| async move {
            Ok(crate::exports::expire_due(&e).await? as u64)
        }),
        Periodic::new("tenants.purge", HOUR, |e: Engine| async move {
            Ok(crate::lifecycle::purge_expired(&e, "maintenance").await? as u64)
        }),
        // Signups' tenants in placements that need DDL take a unit made
        // ahead; this keeps a few ready (and replaces any made before a
        // tenant migration).
        Periodic::new("warm_units.refill", MINUTE, |e: Engine| async move {
            crate::lifecycle::warm_units::refill(&e).await
        }),
        Periodic::new("signups.lapse", MINUTE, |e: Engine| async move {
            crate::lifecycle::signup::lapse_expired(&e).await
        }),
        Periodic::new("sessions.expire", HOUR, |e: Engine| async move {
            CatalogSessionStore::new(e).delete_expired().await
        }),
        // A console move runs on the instance that started it; this picks
        // it up on another one if that instance died.
        Periodic::new("moves.resume", MINUTE, |e: Engine| async move {
            Ok(crate::tenancy::moves::resume_abandoned(&e).await? as u64)
        }),
        Periodic::new("cost_ledger.trim", HOUR, |e: Engine| async move {
            let days = e.settings().observability.cost_retention_days;
            crate::tenancy::cost_ledger::trim(&e, chrono::Utc::now(), days).await
        }),
    ];
    work.extend(crate::billing::periodic_work());
    work
}

/// Runs forever on every instance: health-checks this instance's own
/// tenant-database pools each minute (per instance by nature).
pub async fn pool_health_loop(engine: Engine) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let closed = engine.check_tenant_pools().await;
        if closed > 0 {
            tracing::warn!(
                closed,
                "closed tenant-database pools that failed their health check"
            );
        }
    }
}

/// Runs forever on every instance: writes what each tenant cost here to
/// the cost ledger every `observability.cost_flush_secs` (each instance
/// counts only its own work). A failed write is kept for the next.
pub async fn cost_ledger_loop(engine: Engine) {
    let every = engine.settings().observability.cost_flush_secs.max(1);
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    loop {
        tick.tick().await;
        if let Err(e) = crate::tenancy::cost_ledger::flush(&engine).await {
            tracing::warn!(error = %e, "tenant costs were not written; kept for the next flush");
        }
    }
}

/// Whether `presented` is the platform API token. Both sides are hashed
/// first and compared in constant time, so neither the token's length nor
/// its prefix leaks through timing. No token configured: nothing matches.
pub fn platform_token_matches(settings: &crate::Settings, presented: &str) -> bool {
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    let Some(token) = &settings.platform_api_token else {
        return false;
    };
    let expected = Sha256::digest(token.expose_secret().as_bytes());
    let given = Sha256::digest(presented.as_bytes());
    let difference = expected
        .iter()
        .zip(given.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    !token.expose_secret().is_empty() && difference == 0
}
