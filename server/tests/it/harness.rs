//! Test apps and an HTTP client that speaks to the router in-process.
//!
//! About 690 lines, the one harness every scenario uses (apps, tenants,
//! clients, peers); split, its helpers would be hunted for.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use std::sync::OnceLock;
use tenantry::catalog::tenants::NewTenant;
use tenantry::identity::admins;
use tenantry::tenancy::{Engine, Placement, TenantCtx};
use tenantry::Settings;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";
/// The platform API's bearer token in tests.
pub const PLATFORM_TOKEN: &str = "test-platform-token-0123456789";
/// The Redis every machine runs (`.ci/run` starts it if it is down).
pub const REDIS_URL: &str = "redis://127.0.0.1:6379/0";

/// Settings every test app starts from: webhooks, SSO, Stripe, ACME and
/// mail may reach the loopback peers tests start, and webhooks retry and poll quickly.
pub const TEST_SETTINGS: &[(&str, &str)] = &[
    ("webhook_allow_insecure_targets", "true"),
    ("sso_allow_private_providers", "true"),
    // The fake Stripe, the ACME test CA and the SMTP server run on loopback.
    ("outbound_allow_private_services", "true"),
    // Proving SSO domains needs a DNS server: `sso` starts one for that test.
    ("sso_domains_need_proof", "false"),
    ("webhook_retry_base_ms", "50"),
    ("webhook_poll_ms", "50"),
    ("job_retry_base_ms", "20"),
    ("job_poll_ms", "50"),
    ("platform_api_token", PLATFORM_TOKEN),
    ("stripe_webhook_secret", STRIPE_WEBHOOK_SECRET),
    // Seals two-factor secrets (and SSO client secrets, ACME keys).
    (
        "secret_key",
        "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed",
    ),
];

/// The test settings as the environment of a server process
/// (`TENANTRY_<KEY>`, a nested key's dot as `__`).
pub fn test_settings_env() -> Vec<(String, String)> {
    TEST_SETTINGS
        .iter()
        .map(|(k, v)| (setting_env(k), (*v).to_owned()))
        .collect()
}

/// The environment variable that sets `key`.
pub fn setting_env(key: &str) -> String {
    format!("TENANTRY_{}", key.to_uppercase().replace('.', "__"))
}

/// What the tests sign Stripe webhook payloads with.
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_billing_test";

/// Instantiates an async scenario `fn(TestApp)` once per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        pub mod on_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario($crate::harness::TestApp::sqlite().await).await
            })*
        }
        pub mod on_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario($crate::harness::TestApp::postgres().await).await
            })*
        }
        /// Postgres with tenants spread over the placements: the first
        /// tenant a scenario creates lives in a schema, the second in a
        /// database of its own, the third in the shared pool.
        pub mod on_mixed_placements {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario($crate::harness::TestApp::postgres_mixed().await).await
            })*
        }
    };
}

/// Instantiates async scenarios `fn(TestApp)` once more, with the app's
/// queries going through a PgBouncer in transaction mode (`pgbouncer.rs`).
#[macro_export]
macro_rules! through_pgbouncer {
    ($($scenario:ident),* $(,)?) => {
        pub mod through_pgbouncer {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario($crate::harness::TestApp::through_pgbouncer(4, &[]).await).await
            })*
        }
    };
}

pub struct TestApp {
    pub router: Router,
    pub engine: Engine,
    pub settings: Settings,
    _dir: tempfile::TempDir,
    pub pg_database: Option<String>,
    /// Placements handed to the tenants [`TestApp::tenant`] creates, in turn;
    /// empty for the deployment default.
    placements: std::sync::Mutex<std::collections::VecDeque<Placement>>,
    /// The PgBouncer the tenants' transactions go through, when they do.
    pub bouncer: Option<std::sync::Arc<crate::pgbouncer::PgBouncer>>,
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(&[]).await
    }

    pub async fn sqlite_with(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data").display().to_string();
        let mut pairs = vec![("data_dir", data.as_str())];
        pairs.extend_from_slice(TEST_SETTINGS);
        pairs.extend_from_slice(extra);
        let settings = Settings::from_pairs(&pairs).expect("settings");
        Engine::migrate(&settings).await.expect("migrate sqlite");
        Self::start(settings, dir, None).await
    }

    pub async fn postgres() -> Self {
        Self::postgres_with(&[]).await
    }

    /// Postgres, with the tenants this app creates placed in `cycle`, in turn.
    pub async fn postgres_placed(cycle: &[Placement]) -> Self {
        let app = Self::postgres().await;
        app.placements_cycle(cycle);
        app
    }

    /// Places the tenants [`TestApp::tenant`] creates from now on in `cycle`.
    pub fn placements_cycle(&self, cycle: &[Placement]) {
        let mut placements = self.placements.lock().expect("lock");
        placements.clear();
        placements.extend(cycle.iter().copied());
    }

    pub async fn postgres_mixed() -> Self {
        Self::postgres_placed(&[Placement::Schema, Placement::Database, Placement::Pool]).await
    }

    /// Postgres, the pool and schema tenants' transactions through a
    /// PgBouncer of the app's own in transaction mode (`server_pool` server
    /// connections); the catalog directly.
    pub async fn through_pgbouncer(server_pool: u32, extra: &[(&str, &str)]) -> Self {
        let bouncer = crate::pgbouncer::PgBouncer::start(server_pool).await;
        let name = fresh_pg_database();
        let routed = bouncer.through(&pg_url("tenantry_app", &name));
        let mut pairs = vec![("tenant_pool_url", routed.as_str())];
        pairs.extend_from_slice(extra);
        let mut app = Self::postgres_on(name, &pairs).await;
        app.bouncer = Some(std::sync::Arc::new(bouncer));
        app
    }

    pub async fn postgres_with(extra: &[(&str, &str)]) -> Self {
        Self::postgres_on(fresh_pg_database(), extra).await
    }

    async fn postgres_on(name: String, extra: &[(&str, &str)]) -> Self {
        let runtime = pg_url("tenantry_app", &name);
        let owner = pg_url("tenantry_owner", &name);
        // Files (exports) go to a directory of the test's own.
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data").display().to_string();
        let mut pairs = vec![
            ("database_url", runtime.as_str()),
            ("owner_database_url", owner.as_str()),
            ("tenant_database_prefix", TENANT_DB_PREFIX),
            ("data_dir", data.as_str()),
        ];
        pairs.extend_from_slice(TEST_SETTINGS);
        pairs.extend_from_slice(extra);
        let settings = Settings::from_pairs(&pairs).expect("settings");
        Self::start(settings, dir, Some(name)).await
    }

    async fn start(
        settings: Settings,
        dir: tempfile::TempDir,
        pg_database: Option<String>,
    ) -> Self {
        let engine = tenantry::runtime::connect(&settings)
            .await
            .expect("engine connects");
        let router = tenantry_server::router::build(
            engine.clone(),
            tenantry_server::router::leptos_options(&settings),
        );
        Self {
            router,
            engine,
            settings,
            _dir: dir,
            pg_database,
            placements: Default::default(),
            bouncer: None,
        }
    }

    /// The next placement of the cycle (rotating), or the default.
    fn next_placement(&self) -> String {
        let mut cycle = self.placements.lock().expect("lock");
        match cycle.pop_front() {
            Some(p) => {
                cycle.push_back(p);
                p.as_str().to_owned()
            }
            None => String::new(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_database.is_some()
    }

    /// Creates an active tenant whose owner is `owner@<slug>.test`.
    pub async fn tenant(&self, slug: &str) -> TenantCtx {
        tenantry::lifecycle::create(
            &self.engine,
            NewTenant {
                slug: slug.into(),
                name: format!("{slug} Inc"),
                admin_email: format!("owner@{slug}.test"),
                admin_password: PASSWORD.into(),
                placement: self.next_placement(),
                region: String::new(),
                pending: false,
                plan: String::new(),
            },
            "test",
        )
        .await
        .expect("tenant created");
        self.ctx(slug).await
    }

    pub async fn ctx(&self, slug: &str) -> TenantCtx {
        match tenantry::catalog::resolve::by_slug_uncached(&self.engine, slug)
            .await
            .expect("resolve")
        {
            Some(tenantry::tenancy::RequestScope::Tenant(ctx)) => ctx,
            _ => panic!("tenant {slug} does not resolve"),
        }
    }

    pub async fn superadmin(&self) -> Client {
        admins::create(&self.engine, "root@platform.test", PASSWORD, "test")
            .await
            .expect("admin created");
        let mut client = self.client("admin.localhost");
        let res = client
            .server_fn::<tenantry_app::features::session::api::SignIn>(&[
                ("email", "root@platform.test"),
                ("password", PASSWORD),
            ])
            .await;
        assert!(
            res.status.is_success(),
            "admin login: {} {}",
            res.status,
            res.text
        );
        client
    }

    /// A client on `<slug>.localhost` signed in as the tenant's owner.
    pub async fn owner_client(&self, slug: &str) -> Client {
        let mut client = self.client(&format!("{slug}.localhost"));
        let res = client
            .post_json(
                "/api/v1/session",
                serde_json::json!({"email": format!("owner@{slug}.test"), "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "sign-in on {slug}: {}",
            res.text
        );
        client
    }

    /// A new API key of `slug` with `role`, created by its owner through the
    /// API; the secret.
    pub async fn api_key(&self, slug: &str, role: &str) -> String {
        let mut owner = self.owner_client(slug).await;
        let res = owner
            .post_json(
                "/api/v1/api-keys",
                serde_json::json!({"name": format!("{slug} {role}"), "role": role}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let secret = res.json()["api_key"]["secret"]
            .as_str()
            .expect("secret")
            .to_owned();
        assert!(secret.starts_with("tnt_"), "{secret}");
        secret
    }

    /// A client on `host` that sends `token` as its bearer credential.
    pub fn bearer_client(&self, host: &str, token: &str) -> Client {
        Client {
            bearer: Some(token.to_owned()),
            ..self.client(host)
        }
    }

    pub fn client(&self, host: &str) -> Client {
        Client {
            router: self.router.clone(),
            host: host.to_owned(),
            cookie: None,
            bearer: None,
        }
    }
}

pub struct Client {
    router: Router,
    pub host: String,
    pub cookie: Option<String>,
    /// Sent as `Authorization: Bearer …` (an API key or access token).
    pub bearer: Option<String>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    /// The body as sent (archives, images).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Client {
    /// The same cookie jar, pointed at another host.
    pub fn on_host(&self, host: &str) -> Client {
        Client {
            router: self.router.clone(),
            host: host.to_owned(),
            cookie: self.cookie.clone(),
            bearer: self.bearer.clone(),
        }
    }

    /// The same host and cookie, served by another instance's router.
    pub fn on_router(&self, router: Router) -> Client {
        Client {
            router,
            host: self.host.clone(),
            cookie: self.cookie.clone(),
            bearer: self.bearer.clone(),
        }
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Reply {
        let headers = req.headers_mut();
        if !headers.contains_key(header::HOST) {
            headers.insert(header::HOST, self.host.parse().expect("host header"));
        }
        if let Some(cookie) = &self.cookie {
            headers.insert(header::COOKIE, cookie.parse().expect("cookie header"));
        }
        if let Some(token) = &self.bearer {
            let value = format!("Bearer {token}");
            headers.insert(header::AUTHORIZATION, value.parse().expect("bearer header"));
        }
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        if let Some(set) = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or_default().to_owned();
            self.cookie = if set.contains("Max-Age=0") {
                None
            } else {
                Some(pair)
            };
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.host)
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        // As a browser does: pages answer redirects with a real 302 only then.
        let req = Request::get(path).header(header::ACCEPT, "text/html,application/json");
        self.send(req.body(Body::empty()).expect("request")).await
    }

    pub async fn post_json(&mut self, path: &str, body: serde_json::Value) -> Reply {
        self.json_request("POST", path, body).await
    }

    pub async fn json_request(
        &mut self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, self.origin())
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(req).await
    }

    pub async fn raw(&mut self, method: &str, path: &str, content_type: &str, body: &str) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ORIGIN, self.origin())
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(req).await
    }

    /// Calls a server function the way `fetch` from the hydrated page does.
    pub async fn server_fn<F: leptos::server_fn::ServerFn>(
        &mut self,
        form: &[(&str, &str)],
    ) -> Reply {
        self.post_form(F::PATH, form).await
    }

    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::ORIGIN, self.origin())
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- Postgres: a template migrated once per run, a fresh clone per test ----

const TEMPLATE: &str = "tenantry_test_template";
/// The template database `database` placements are copied from, made by
/// migrating [`TEMPLATE`]; each test gets a copy, so a test that migrates its
/// own cannot disturb the others.
const TENANT_TEMPLATE: &str = "tenantry_test_template_template";
/// The template's keyring, made by its migration.
const KEYRING_TEMPLATE: &str = "tenantry_test_template_keyring";
/// Tenant databases of tests match the leftover pattern below.
pub const TENANT_DB_PREFIX: &str = "tenantry_t_db_";

pub fn pg_host() -> String {
    std::env::var("TENANTRY_TEST_PG_HOST").unwrap_or_else(|_| "127.0.0.1:5432".into())
}

pub fn pg_url(role: &str, database: &str) -> String {
    format!("postgres://{role}@{}/{database}", pg_host())
}

pub fn admin_url() -> String {
    std::env::var("TENANTRY_PG_ADMIN_URL")
        .unwrap_or_else(|_| format!("postgres://postgres@{}/postgres", pg_host()))
}

/// Runs `sql` as the superuser on the maintenance database.
/// Runs `sql` as the superuser in one database.
pub async fn pg_admin_in(database: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(pg_url("postgres", database))
        .await
        .expect("admin connects");
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = db.close().await;
}

pub async fn pg_admin(sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(admin_url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for these tests ({}): {e}. Run scripts/pg-setup.",
                admin_url()
            )
        });
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = db.close().await;
}

fn fresh_pg_database() -> String {
    static TEMPLATE_READY: OnceLock<()> = OnceLock::new();
    TEMPLATE_READY.get_or_init(|| {
        // Its own thread and runtime: the pools it opens must not outlive it.
        std::thread::spawn(|| {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(async {
                    pg_admin(&format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")).await;
                    pg_admin(&format!(
                        "DROP DATABASE IF EXISTS {TENANT_TEMPLATE} WITH (FORCE)"
                    ))
                    .await;
                    pg_admin(&format!(
                        "DROP DATABASE IF EXISTS {KEYRING_TEMPLATE} WITH (FORCE)"
                    ))
                    .await;
                    drop_leftover_test_databases().await;
                    pg_admin(&format!("CREATE DATABASE {TEMPLATE} OWNER tenantry_owner")).await;
                    let settings = Settings::from_pairs(&[
                        ("database_url", pg_url("tenantry_app", TEMPLATE).as_str()),
                        (
                            "owner_database_url",
                            pg_url("tenantry_owner", TEMPLATE).as_str(),
                        ),
                    ])
                    .expect("settings");
                    Engine::migrate(&settings).await.expect("template migrates");
                })
        })
        .join()
        .expect("template thread");
    });
    let name = format!("tenantry_t_{}", uuid::Uuid::new_v4().simple());
    std::thread::spawn({
        let name = name.clone();
        move || {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(async {
                    pg_admin(&format!(
                        "CREATE DATABASE {name} TEMPLATE {TEMPLATE} OWNER tenantry_owner"
                    ))
                    .await;
                    pg_admin(&format!(
                        "CREATE DATABASE {name}_template TEMPLATE {TENANT_TEMPLATE} OWNER tenantry_owner"
                    ))
                    .await;
                    // The keyring, apart from the data (`tenancy::keys`).
                    pg_admin(&format!(
                        "CREATE DATABASE {name}_keyring TEMPLATE {KEYRING_TEMPLATE} OWNER tenantry_owner"
                    ))
                    .await;
                })
        }
    })
    .join()
    .expect("clone thread");
    name
}

async fn drop_leftover_test_databases() {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(admin_url())
        .await
        .expect("admin connects");
    let rows = db
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT datname::text AS name FROM pg_database WHERE datname LIKE 'tenantry\\_t\\_%'",
        ))
        .await
        .expect("list databases");
    for row in rows {
        let name: String = row.try_get("", "name").expect("name");
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
    let _ = db.close().await;
}

/// Runs the server's job kinds on `engine` (with its settings) until
/// dropped.
pub fn run_jobs_on(engine: &Engine) -> JobsRunning {
    let runner = tenantry::jobs::Runner::new(engine.clone(), tenantry_server::jobs::registry());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(runner.run(
        async {
            let _ = stopped.await;
        },
        std::time::Duration::from_secs(1),
    ));
    JobsRunning(Some(stop), Some(running))
}

/// Runs the server's job kinds on `engine` until no job is due now (retries
/// due later wait); how many runs it started.
pub async fn run_due_jobs(engine: &Engine) -> usize {
    let runner = tenantry::jobs::Runner::new(engine.clone(), tenantry_server::jobs::registry());
    let mut started = 0;
    for _ in 0..100 {
        let now = runner.pass().await.expect("a pass over the jobs");
        while !runner.is_idle() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        if now == 0 {
            return started;
        }
        started += now;
    }
    panic!("jobs kept coming for 100 passes");
}

/// A job runner working for a test (as every server instance runs one);
/// stopped when dropped.
pub struct JobsRunning(
    Option<tokio::sync::oneshot::Sender<()>>,
    Option<tokio::task::JoinHandle<()>>,
);

impl JobsRunning {
    /// Stops the runner and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.1.take() {
            running.await.expect("the runner stops");
        }
    }
}

impl Drop for JobsRunning {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

impl TestApp {
    /// Runs the server's job kinds on this app's engine until dropped.
    pub fn run_jobs(&self) -> JobsRunning {
        run_jobs_on(&self.engine)
    }

    /// A client signed in on `<slug>.localhost` as `email`.
    pub async fn owner_client_as(&self, slug: &str, email: &str) -> Client {
        let mut client = self.client(&format!("{slug}.localhost"));
        let res = client
            .post_json(
                "/api/v1/session",
                serde_json::json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "sign-in as {email}: {}",
            res.text
        );
        client
    }

    /// Another engine on the same database with some settings changed.
    pub async fn with_settings(&self, pairs: &[(&str, &str)]) -> Engine {
        let data = self.settings.data_dir.display().to_string();
        let mut all: Vec<(&str, String)> = vec![("data_dir", data)];
        let urls = [
            ("database_url", &self.settings.database_url),
            ("owner_database_url", &self.settings.owner_database_url),
            ("tenant_pool_url", &self.settings.tenant_pool_url),
        ];
        for (key, url) in urls {
            if let Some(url) = url {
                all.push((key, secrecy::ExposeSecret::expose_secret(url).to_owned()));
            }
        }
        all.push((
            "tenant_database_prefix",
            self.settings.tenant_database_prefix.clone(),
        ));
        let mut borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        borrowed.extend_from_slice(TEST_SETTINGS);
        borrowed.extend_from_slice(pairs);
        tenantry::runtime::connect(&Settings::from_pairs(&borrowed).expect("settings"))
            .await
            .expect("engine")
    }
}

impl TestApp {
    /// The same database, served by a router built with some settings changed.
    pub async fn with_router_settings(self, pairs: &[(&str, &str)]) -> TestApp {
        let engine = self.with_settings(pairs).await;
        let settings = engine.settings().clone();
        let router = tenantry_server::router::build(
            engine.clone(),
            tenantry_server::router::leptos_options(&settings),
        );
        TestApp {
            router,
            engine,
            settings,
            ..self
        }
    }
}
