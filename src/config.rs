//! One typed settings struct, read from defaults, then an optional TOML file
//! (`tenantry.toml`, or the path in `TENANTRY_CONFIG`), then the environment
//! (`TENANTRY_*`, plus the conventional `DATABASE_URL`). Database URLs are
//! secrets: they may carry passwords, so they never print.
//!
//! About 540 lines: every setting with its documentation, then its default,
//! then the checks made at load. Mostly one flat list with a parallel table
//! of defaults; newer settings come as sections with their own `Default`
//! (`[signup]`, `config/signup.rs`), the shape the rest should move to.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use tenantry_vocab::Placement;

mod clusters;
mod encryption;
mod observability;
mod signup;
mod two_factor;
pub use clusters::ClusterSettings;
pub use encryption::{EncryptionSettings, PERSONAL_DATA_COLUMNS};
pub use observability::ObservabilitySettings;
pub use signup::{SignupMode, SignupSettings};
pub use two_factor::TwoFactorSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for development.
    Pretty,
    /// One JSON object per line, for production.
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Runtime database. Unset: SQLite files under `data_dir`.
    pub database_url: Option<SecretString>,
    /// Owner role's database URL, used only for migrations (Postgres). Unset:
    /// `database_url`.
    pub owner_database_url: Option<SecretString>,
    /// Where the pool and schema tenants' transactions go, when not to the
    /// catalog's own pool: PgBouncer in transaction mode in front of the
    /// catalog's database (statements are then sent unnamed, which it
    /// needs). The catalog, its `LISTEN`s and the migrations keep
    /// `database_url`. Unset: the catalog's pool.
    pub tenant_pool_url: Option<SecretString>,
    /// Tenants live at `<slug>.<base_domain>`.
    pub base_domain: String,
    /// The superadmin console's host. Unset: `admin.<base_domain>`.
    pub console_host: Option<String>,
    pub listen: SocketAddr,
    /// The port browsers reach the platform on, when it is not the scheme's
    /// default (links the platform mails carry it).
    pub public_port: Option<u16>,
    pub data_dir: PathBuf,
    /// Peers whose `X-Forwarded-Host` / `Forwarded` / `X-Forwarded-For`
    /// headers are believed: addresses or CIDR ranges (`10.0.0.0/8`).
    pub trusted_proxies: Vec<ProxyRange>,
    /// Also resolve tenants from a `/t/<slug>` path prefix on the base host.
    pub path_prefix_routing: bool,
    /// Days a deleted tenant's data is kept before it is purged.
    pub deleted_grace_days: u32,
    /// Connections in the catalog / pooled-tenant connection pool.
    pub pool_size: u32,
    /// Upper bound on open per-tenant pools: SQLite files, or Postgres
    /// `database` placements (least recently used idle ones are closed).
    pub max_tenant_pools: usize,
    /// Total connections the per-tenant Postgres databases may hold, across all
    /// their pools. A burst beyond it waits; it never exceeds it.
    pub tenant_connections: u32,
    /// Connections in one tenant database's pool.
    pub tenant_database_pool_size: u32,
    /// Name prefix of the databases of `database`-placed tenants.
    pub tenant_database_prefix: String,
    /// The migrated database new `database` tenants are copied from. Unset:
    /// `<catalog database>_template`.
    pub tenant_template_database: Option<String>,
    /// Placement of new tenants on Postgres (`pool`, `schema`, `database`).
    pub default_placement: Placement,
    /// The home cluster's name (the one `database_url` names; it holds the
    /// catalog) and its region (`config/clusters.rs`).
    pub cluster_name: String,
    pub region: String,
    /// More PostgreSQL clusters for tenants, each in a region.
    #[serde(default)]
    pub clusters: Vec<ClusterSettings>,
    /// Self-serve signup (its own section, with its own defaults).
    #[serde(default)]
    pub signup: SignupSettings,
    /// Two-factor sign-in for superadmins (its own section).
    #[serde(default)]
    pub two_factor: TwoFactorSettings,
    /// Tenants' data keys and the key that wraps them (its own section).
    #[serde(default)]
    pub encryption: EncryptionSettings,
    /// Metrics, the tenant label's bound and the cost ledger (its own
    /// section).
    #[serde(default)]
    pub observability: ObservabilitySettings,
    /// Fleet migrations: tenants migrated at once, and the first (canary) batch.
    pub migrate_concurrency: usize,
    pub migrate_canary: usize,
    /// Serve cookies as `Secure` with the `__Host-` prefix (set when behind https).
    pub secure_cookies: bool,
    pub log_format: LogFormat,
    /// Webhooks may target http URLs and private addresses (development and
    /// tests only: in production an endpoint must not reach the internal
    /// network).
    pub webhook_allow_insecure_targets: bool,
    /// SSO providers may be at private addresses and loopback http
    /// (development and tests only: in production a tenant's provider URLs
    /// must not reach the internal network).
    pub sso_allow_private_providers: bool,
    /// Each email domain a tenant's SSO may sign in must be proven with a DNS
    /// TXT record naming the tenant (off only in development and tests that
    /// run no DNS server).
    pub sso_domains_need_proof: bool,
    /// Stripe's API, the ACME directory and the SMTP relay may be at private
    /// addresses (development and tests, or an operator whose relay or CA
    /// runs on its own network; off, they must be public like every other
    /// destination).
    pub outbound_allow_private_services: bool,
    /// Seconds one webhook attempt may take.
    pub webhook_timeout_secs: u64,
    /// Attempts before a delivery is marked failed (a resend starts over).
    pub webhook_max_attempts: u32,
    /// First retry delay; it doubles per attempt, up to an hour.
    pub webhook_retry_base_ms: u64,
    /// How often the dispatcher looks for events committed by other
    /// processes and for due retries.
    pub webhook_poll_ms: u64,
    /// Hours a rotated-out webhook secret keeps signing beside the new one.
    pub webhook_secret_overlap_hours: u32,
    /// Nameservers for custom-domain verification (`host:port`). Empty: the
    /// system's resolver configuration.
    pub dns_nameservers: Vec<SocketAddr>,
    /// The label of the TXT record that proves a domain:
    /// `<label>.<host name>`.
    pub domain_challenge_label: String,
    /// What custom domains should CNAME to. Unset: `<slug>.<base_domain>`.
    pub domain_cname_target: Option<String>,
    /// Seconds between re-checks of a verified domain.
    pub domain_recheck_secs: u64,
    /// First retry delay for a failing check; doubles per failure (≤ 6 h).
    pub domain_retry_base_secs: u64,
    /// Consecutive failed re-checks after which a verified domain lapses.
    pub domain_lapse_after_failures: u32,
    /// Object storage for tenants' files: an S3-compatible bucket when set,
    /// else `<data_dir>/objects`.
    pub storage_s3_bucket: Option<String>,
    /// The S3 API endpoint (unset: AWS).
    pub storage_s3_endpoint: Option<String>,
    pub storage_s3_region: String,
    pub storage_s3_access_key_id: Option<String>,
    pub storage_s3_secret_access_key: Option<SecretString>,
    /// Optional HTTPS listener: terminates TLS for verified custom domains,
    /// picking the certificate by SNI.
    pub https_listen: Option<SocketAddr>,
    /// ACME directory that issues those certificates (unset: no issuance).
    pub acme_directory_url: Option<String>,
    /// PEM file of the root the ACME server's own TLS is signed by (a
    /// private CA, or a test CA); unset: the public web roots.
    pub acme_ca_root: Option<PathBuf>,
    /// Issuance attempts allowed per tenant per hour.
    pub acme_issuances_per_hour: u32,
    /// Days before expiry a certificate is renewed.
    pub certificate_renew_days: u32,
    /// 32 bytes, hex: seals private keys at rest (certificates, the ACME
    /// account). Required for issuance.
    pub secret_key: Option<SecretString>,
    /// Hours an export archive stays downloadable.
    pub export_ttl_hours: u32,
    /// Bearer token of the platform API on the console host (a secret). Unset:
    /// that API answers 404.
    pub platform_api_token: Option<SecretString>,
    /// Where the compiled site (pkg/, favicon) is served from.
    pub site_root: PathBuf,
    /// The plan new tenants get unless told otherwise.
    pub default_plan: String,
    /// Failed sign-ins allowed per account (per tenant, or the console) in
    /// five minutes before attempts are refused (refilled evenly).
    pub signin_attempts_per_account: u32,
    /// The same per client address.
    pub signin_attempts_per_ip: u32,
    /// Redis (`redis://host:port/db`). When set, rate-limit counters are kept
    /// there (shared by every instance) and plan and flag changes are
    /// broadcast on its pub/sub; unset: counters in memory, changes through
    /// Postgres LISTEN/NOTIFY (or a one-second refresh on SQLite).
    pub redis_url: Option<SecretString>,
    /// Outgoing mail server: `smtp://user:pass@host:port` (no TLS),
    /// `…?tls=required` (STARTTLS), `…?tls=opportunistic` or `smtps://…`
    /// (TLS from the start). A secret: it may carry a password. Unset: mail
    /// is kept in the dev mailbox on the console and nothing is sent.
    pub smtp_url: Option<SecretString>,
    /// The sender address; the display name is the tenant's.
    pub mail_from: String,
    /// Delivery attempts before a message is marked failed.
    pub mail_max_attempts: u32,
    /// First retry delay; doubles with each attempt.
    pub mail_retry_base_secs: u64,
    /// How long an invitation link stays valid.
    pub invitation_ttl_hours: u32,
    /// How long a password-reset link stays valid.
    pub password_reset_ttl_minutes: u32,
    /// How long a superadmin may act as a tenant user.
    pub impersonation_minutes: u32,
    /// How late a usage event may arrive and still count (in its own period;
    /// a period is invoiced only once this window after it has passed).
    pub usage_late_hours: u32,
    /// How long a tenant may stay past due before it is suspended.
    pub billing_grace_days: u32,
    /// How long usage events are kept (and so how long an event id is
    /// remembered for deduplication); final invoices keep their figures.
    pub usage_retention_days: u32,
    /// How long a purged tenant's final invoices are kept for financial
    /// retention (0: they go with the tenant). The only data a purge keeps.
    pub invoice_retention_days: u32,
    /// Stripe's secret API key: set, billing is mirrored to Stripe.
    pub stripe_secret_key: Option<SecretString>,
    /// Stripe's API address (tests point it at a local fake Stripe).
    pub stripe_api_base: Option<String>,
    /// Stripe's webhook signing secret(s), comma-separated while one is
    /// rotated. Unset: `POST /webhooks/stripe` answers 404.
    pub stripe_webhook_secret: Option<SecretString>,
    /// The signing secret(s) of the Connect webhook endpoint (events from
    /// tenants' connected accounts; Stripe gives a Connect endpoint its own
    /// secret). Unset: `POST /webhooks/stripe/connect` answers 404.
    pub stripe_connect_webhook_secret: Option<SecretString>,
    /// How old a signed webhook may be (replays older than this are refused).
    pub stripe_webhook_tolerance_secs: u32,
    /// How long a stopping server (SIGTERM or ctrl-c) lets its requests in
    /// flight finish before it exits anyway.
    pub shutdown_grace_secs: u64,
    /// How long a running job holds it before another runner may take it
    /// (renewed while it runs; runs out only when its runner died).
    pub job_lease_secs: u64,
    /// First retry delay of a failed job; doubles per attempt.
    pub job_retry_base_ms: u64,
    /// Jobs of one tenant running at once, across every instance.
    pub jobs_per_tenant: u32,
    /// Jobs this instance runs at once, all tenants together.
    pub job_workers: u32,
    /// How often the runner looks for jobs that other instances enqueued.
    pub job_poll_ms: u64,
}

#[derive(Serialize)]
struct Defaults {
    base_domain: &'static str,
    listen: &'static str,
    data_dir: &'static str,
    trusted_proxies: Vec<ProxyRange>,
    path_prefix_routing: bool,
    deleted_grace_days: u32,
    max_tenant_pools: usize,
    tenant_connections: u32,
    tenant_database_pool_size: u32,
    tenant_database_prefix: &'static str,
    default_placement: Placement,
    cluster_name: &'static str,
    region: &'static str,
    migrate_concurrency: usize,
    migrate_canary: usize,
    pool_size: u32,
    secure_cookies: bool,
    log_format: LogFormat,
    webhook_allow_insecure_targets: bool,
    sso_allow_private_providers: bool,
    sso_domains_need_proof: bool,
    outbound_allow_private_services: bool,
    webhook_timeout_secs: u64,
    webhook_max_attempts: u32,
    webhook_retry_base_ms: u64,
    webhook_poll_ms: u64,
    webhook_secret_overlap_hours: u32,
    dns_nameservers: Vec<SocketAddr>,
    domain_challenge_label: &'static str,
    domain_recheck_secs: u64,
    domain_retry_base_secs: u64,
    domain_lapse_after_failures: u32,
    export_ttl_hours: u32,
    storage_s3_region: &'static str,
    acme_issuances_per_hour: u32,
    certificate_renew_days: u32,
    site_root: &'static str,
    default_plan: &'static str,
    signin_attempts_per_account: u32,
    signin_attempts_per_ip: u32,
    mail_from: &'static str,
    mail_max_attempts: u32,
    mail_retry_base_secs: u64,
    invitation_ttl_hours: u32,
    password_reset_ttl_minutes: u32,
    impersonation_minutes: u32,
    usage_late_hours: u32,
    billing_grace_days: u32,
    usage_retention_days: u32,
    invoice_retention_days: u32,
    stripe_webhook_tolerance_secs: u32,
    shutdown_grace_secs: u64,
    job_lease_secs: u64,
    job_retry_base_ms: u64,
    jobs_per_tenant: u32,
    job_workers: u32,
    job_poll_ms: u64,
}

const DEFAULTS: fn() -> Defaults = || Defaults {
    base_domain: "localhost",
    listen: "127.0.0.1:3000",
    data_dir: "data",
    trusted_proxies: Vec::new(),
    path_prefix_routing: false,
    deleted_grace_days: 30,
    max_tenant_pools: 64,
    tenant_connections: 32,
    tenant_database_pool_size: 2,
    tenant_database_prefix: "tenantry_db_",
    default_placement: Placement::Pool,
    cluster_name: "main",
    region: "local",
    migrate_concurrency: 4,
    migrate_canary: 1,
    pool_size: 16,
    secure_cookies: false,
    // Production default; `scripts/dev` asks for readable lines.
    log_format: LogFormat::Json,
    webhook_allow_insecure_targets: false,
    sso_allow_private_providers: false,
    sso_domains_need_proof: true,
    outbound_allow_private_services: false,
    webhook_timeout_secs: 10,
    webhook_max_attempts: 12,
    webhook_retry_base_ms: 5_000,
    webhook_poll_ms: 1_000,
    webhook_secret_overlap_hours: 24,
    dns_nameservers: Vec::new(),
    domain_challenge_label: "_tenantry-challenge",
    domain_recheck_secs: 86_400,
    domain_retry_base_secs: 60,
    domain_lapse_after_failures: 3,
    export_ttl_hours: 72,
    storage_s3_region: "us-east-1",
    acme_issuances_per_hour: 5,
    certificate_renew_days: 30,
    site_root: "target/site",
    default_plan: "standard",
    signin_attempts_per_account: 5,
    signin_attempts_per_ip: 50,
    mail_from: "no-reply@localhost",
    mail_max_attempts: 8,
    mail_retry_base_secs: 30,
    invitation_ttl_hours: 72,
    password_reset_ttl_minutes: 60,
    impersonation_minutes: 30,
    usage_late_hours: 72,
    billing_grace_days: 14,
    usage_retention_days: 400,
    // Ten years, the longest bookkeeping retention common in the EU.
    invoice_retention_days: 3650,
    stripe_webhook_tolerance_secs: 300,
    // Inside the 30 s most orchestrators wait between SIGTERM and SIGKILL.
    shutdown_grace_secs: 20,
    job_lease_secs: 60,
    job_retry_base_ms: 5_000,
    jobs_per_tenant: 2,
    job_workers: 4,
    job_poll_ms: 1_000,
};

/// A trusted proxy: one address (`10.0.0.5`) or a CIDR range (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProxyRange(ipnet::IpNet);

impl ProxyRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }
}

impl TryFrom<String> for ProxyRange {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let raw = raw.trim();
        raw.parse::<ipnet::IpNet>()
            .or_else(|_| raw.parse::<IpAddr>().map(ipnet::IpNet::from))
            .map(Self)
            .map_err(|_| format!("{raw:?} is not an IP address or a CIDR range"))
    }
}

impl From<ProxyRange> for String {
    fn from(range: ProxyRange) -> String {
        range.0.to_string()
    }
}

/// Which database engine the settings select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Settings {
    /// Whether `ip` is one of the trusted proxies.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|range| range.contains(ip))
    }

    /// Defaults, then the file, then the environment.
    pub fn load() -> anyhow::Result<Self> {
        let file = std::env::var("TENANTRY_CONFIG").unwrap_or_else(|_| "tenantry.toml".into());
        Self::from_figment(
            Figment::from(Serialized::defaults(DEFAULTS()))
                .merge(Toml::file(file))
                .merge(
                    Env::raw()
                        .only(&["DATABASE_URL"])
                        .map(|_| "database_url".into()),
                )
                .merge(Env::prefixed("TENANTRY_").split("__")),
        )
    }

    /// Defaults overridden by the given key/values only (tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(DEFAULTS()));
        for (key, value) in pairs {
            let value: figment::value::Value = value.parse().unwrap_or_else(|e| match e {});
            figment = figment.merge((*key, value));
        }
        Self::from_figment(figment)
    }

    fn from_figment(figment: Figment) -> anyhow::Result<Self> {
        let mut settings: Settings = figment.extract()?;
        settings.base_domain = settings.base_domain.trim().to_ascii_lowercase();
        if settings.base_domain.is_empty() {
            anyhow::bail!("base_domain: must not be empty");
        }
        if settings.tenant_connections < settings.tenant_database_pool_size.max(1) {
            anyhow::bail!("tenant_connections: must be at least tenant_database_pool_size");
        }
        let observability = &settings.observability;
        if observability.label_window_secs == 0 || observability.cost_flush_secs == 0 {
            anyhow::bail!(
                "observability: label_window_secs and cost_flush_secs must be at least 1"
            );
        }
        if !valid_identifier_prefix(&settings.tenant_database_prefix) {
            anyhow::bail!(
                "tenant_database_prefix: lowercase letters, digits and underscores, at most 28"
            );
        }
        if let Some(host) = &settings.console_host {
            settings.console_host = Some(host.trim().to_ascii_lowercase());
        }
        settings.check_clusters()?;
        settings.encryption.check()?;
        Ok(settings)
    }

    fn check_clusters(&self) -> anyhow::Result<()> {
        let mut names = vec![self.cluster_name.as_str()];
        for (name, region) in std::iter::once((&self.cluster_name, &self.region))
            .chain(self.clusters.iter().map(|c| (&c.name, &c.region)))
        {
            if !clusters::valid_name(name) || !clusters::valid_name(region) {
                anyhow::bail!(
                    "clusters: {name:?} in {region:?}: names and regions are lowercase letters, digits, - and _, at most 32"
                );
            }
        }
        for cluster in &self.clusters {
            if names.contains(&cluster.name.as_str()) {
                anyhow::bail!("clusters: the name {:?} is used twice", cluster.name);
            }
            if !cluster.runtime_url().starts_with("postgres") || self.backend() != Backend::Postgres
            {
                anyhow::bail!("clusters: {:?}: more clusters need PostgreSQL, for it and for the home cluster", cluster.name);
            }
            names.push(&cluster.name);
        }
        Ok(())
    }

    /// Whether superadmins must sign in with a second factor (see
    /// [`TwoFactorSettings::superadmins_required`]).
    pub fn console_two_factor_required(&self) -> bool {
        self.two_factor
            .superadmins_required
            .unwrap_or(self.secure_cookies)
    }

    pub fn console_host(&self) -> String {
        self.console_host
            .clone()
            .unwrap_or_else(|| format!("admin.{}", self.base_domain))
    }

    /// The runtime database URL (SQLite catalog file by default).
    pub fn runtime_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite://{}/catalog.db?mode=rwc", self.data_dir.display()),
        }
    }

    /// The owner's URL, for migrations.
    pub fn owner_url(&self) -> String {
        match &self.owner_database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => self.runtime_url(),
        }
    }

    pub fn backend(&self) -> Backend {
        if self.runtime_url().starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The runtime URL pointed at another database on the same server.
    pub fn runtime_url_for(&self, database: &str) -> String {
        with_database(&self.runtime_url(), database)
    }

    /// Where a `database` tenant's transactions connect: through PgBouncer
    /// when `tenant_pool_url` is set (its `*` entry reaches every tenant
    /// database), otherwise straight to the server.
    pub fn tenant_database_url(&self, database: &str) -> String {
        match &self.tenant_pool_url {
            Some(bouncer) => with_database(bouncer.expose_secret(), database),
            None => self.runtime_url_for(database),
        }
    }

    /// The owner URL pointed at another database on the same server.
    pub fn owner_url_for(&self, database: &str) -> String {
        with_database(&self.owner_url(), database)
    }

    /// The catalog's database name (Postgres).
    pub fn catalog_database(&self) -> String {
        database_name(&self.runtime_url())
    }

    pub fn template_database(&self) -> String {
        self.tenant_template_database
            .clone()
            .unwrap_or_else(|| format!("{}_template", self.catalog_database()))
    }

    /// Directory of the per-tenant SQLite files.
    pub fn tenant_files_dir(&self) -> PathBuf {
        self.data_dir.join("tenants")
    }
}

fn valid_identifier_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 28
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `scheme://auth@host/db?opts` → the `db` part.
pub(crate) fn database_name(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    let after_host = path.split_once("://").map_or(path, |(_, rest)| rest);
    after_host
        .split_once('/')
        .map(|(_, db)| db.to_owned())
        .unwrap_or_default()
}

/// The same URL (credentials, host, options) with another database.
pub(crate) fn with_database(url: &str, database: &str) -> String {
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = path.split_once("://").unwrap_or(("", path));
    let server = rest.split_once('/').map_or(rest, |(server, _)| server);
    match query {
        Some(query) => format!("{scheme}://{server}/{database}?{query}"),
        None => format!("{scheme}://{server}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_select_sqlite_under_data_and_admin_console() {
        let s = Settings::from_pairs(&[]).expect("defaults load");
        assert_eq!(s.backend(), Backend::Sqlite);
        assert_eq!(s.runtime_url(), "sqlite://data/catalog.db?mode=rwc");
        assert_eq!(s.console_host(), "admin.localhost");
        assert!(s.trusted_proxies.is_empty());
    }

    #[test]
    fn clusters_are_read_from_one_value_and_checked() {
        let pg = ("database_url", "postgres://app@db/tenantry");
        let one = r#"[{name="us1", region="us", database_url="postgres://app@us1/tenantry"}]"#;
        let s = Settings::from_pairs(&[pg, ("clusters", one)]).expect("one more cluster");
        assert_eq!(
            (s.cluster_name.as_str(), s.region.as_str()),
            ("main", "local")
        );
        assert_eq!(s.clusters[0].name, "us1");
        assert_eq!(s.clusters[0].owner_url(), "postgres://app@us1/tenantry");
        let twice = r#"[{name="main", region="us", database_url="postgres://app@us1/t"}]"#;
        let err = Settings::from_pairs(&[pg, ("clusters", twice)]).expect_err("name used twice");
        assert!(err.to_string().contains("used twice"), "{err}");
        let shouting = r#"[{name="US 1", region="us", database_url="postgres://app@us1/t"}]"#;
        assert!(Settings::from_pairs(&[pg, ("clusters", shouting)]).is_err());
        let on_sqlite = Settings::from_pairs(&[("clusters", one)]);
        assert!(on_sqlite.is_err(), "more clusters need PostgreSQL");
    }

    #[test]
    fn tenant_database_urls_keep_credentials_host_and_options() {
        let s = Settings::from_pairs(&[(
            "database_url",
            "postgres://app:pw@db:5432/main?sslmode=disable",
        )])
        .expect("loads");
        assert_eq!(s.catalog_database(), "main");
        assert_eq!(s.template_database(), "main_template");
        assert_eq!(
            s.runtime_url_for("tenantry_db_1"),
            "postgres://app:pw@db:5432/tenantry_db_1?sslmode=disable"
        );
        assert!(Settings::from_pairs(&[("default_placement", "cluster")]).is_err());
        assert!(Settings::from_pairs(&[("tenant_database_prefix", "Bad-Prefix")]).is_err());
    }

    #[test]
    fn database_url_never_appears_in_debug_output() {
        let s = Settings::from_pairs(&[("database_url", "postgres://app:hunter2@db/x")])
            .expect("loads");
        assert_eq!(s.backend(), Backend::Postgres);
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
