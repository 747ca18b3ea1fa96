//! Start-up chores shared by the binary and the tests: the development
//! bootstrap (first superadmin and a demo tenant) and periodic maintenance.

use crate::catalog::tenants::{self, NewTenant};
use crate::identity::admins;
use crate::session::CatalogSessionStore;
use crate::tenancy::Engine;
use rand::distributions::{Alphanumeric, DistString};
use std::path::Path;

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
        tenants::create(
            engine,
            NewTenant {
                slug: "demo".into(),
                name: "Demo Company".into(),
                admin_email: "owner@demo.localhost".into(),
                admin_password: demo_password.clone(),
                placement: String::new(),
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

/// Runs forever: purges tenants past their grace period and expired sessions,
/// and re-checks custom domains that are due.
pub async fn maintenance_loop(engine: Engine, store: CatalogSessionStore) {
    // Every minute: tenant-database pools are health-checked; every hour: purge
    // and session clean-up.
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    let mut minutes = 0u64;
    loop {
        tick.tick().await;
        let closed = engine.check_tenant_pools().await;
        if closed > 0 {
            tracing::warn!(
                closed,
                "closed tenant-database pools that failed their health check"
            );
        }
        match crate::domains::recheck_due(&engine).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(checked = n, "custom domains re-checked"),
            Err(e) => tracing::error!(error = ?e, "custom domain re-check failed"),
        }
        match crate::tls::renew_due(&engine).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(renewed = n, "certificates renewed"),
            Err(e) => tracing::error!(error = ?e, "certificate renewal failed"),
        }
        if let Err(e) = crate::exports::expire_due(&engine).await {
            tracing::error!(error = ?e, "expiring exports failed");
        }
        minutes += 1;
        if minutes % 60 != 1 {
            continue;
        }
        match tenants::purge_expired(&engine, "maintenance").await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "purged deleted tenants past their grace period"),
            Err(e) => tracing::error!(error = ?e, "purge failed"),
        }
        if let Err(e) = store.delete_expired().await {
            tracing::error!(error = ?e, "session cleanup failed");
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
