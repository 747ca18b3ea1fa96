//! Issue 24: tenants on several PostgreSQL clusters. Each test starts a
//! second cluster of its own (`initdb` on another port, run as the
//! `postgres` user, prepared by `scripts/pg-setup`) beside the suite's, and
//! configures it as another cluster of the deployment:
//! - a new tenant of the second cluster's region is placed there (pool,
//!   schema and database alike), is served from it, and leaves nothing on
//!   the home cluster; the isolation audit covers the second cluster too;
//! - a move into another region is refused without a reason, and with one
//!   it runs and the platform audit keeps the reason;
//! - live tenants move between the clusters, under reads and writes,
//!   without losing a row or a request.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::moves::{contents, live_traffic, seeded};
use crate::peer::free_port;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tenantry::catalog::tenants::NewTenant;
use tenantry::tenancy::moves::{self, Destination};
use tenantry::tenancy::{Engine, Placement};

/// A PostgreSQL cluster of the test's own, stopped when dropped.
pub struct SecondCluster {
    pub port: u16,
    data: PathBuf,
    bin: PathBuf,
    _dir: tempfile::TempDir,
}

impl SecondCluster {
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries (Debian's postgresql package)")
            .flatten()
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())
            .expect("initdb");
        let dir = tempfile::tempdir().expect("dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let data = dir.path().join("data");
        let port = free_port();
        let as_postgres = |program: &str, args: &[&str]| {
            let status = Command::new("su")
                .args(["postgres", "-s", "/bin/sh", "-c"])
                .arg(format!(
                    "{} {}",
                    bin.join(program).display(),
                    args.join(" ")
                ))
                .stdout(std::process::Stdio::null())
                .status()
                .expect("su postgres");
            assert!(status.success(), "{program} {args:?}");
        };
        as_postgres(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        let options = format!(
            "'-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=60 -c fsync=off'",
            dir.path().display()
        );
        as_postgres(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &options,
                "-l",
                &dir.path().join("log").display().to_string(),
                "-w",
                "start",
            ],
        );
        let prepared = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-setup"))
            .env(
                "TENANTRY_PG_ADMIN_URL",
                format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            )
            .stderr(std::process::Stdio::null())
            .status()
            .expect("pg-setup");
        assert!(prepared.success(), "pg-setup on the second cluster");
        Self {
            port,
            data,
            bin,
            _dir: dir,
        }
    }

    /// The settings that make it cluster `name` in `region`.
    pub fn settings(&self, name: &str, region: &str) -> String {
        let url = |role: &str| format!("postgres://{role}@127.0.0.1:{}/tenantry", self.port);
        format!(
            "[{{name=\"{name}\", region=\"{region}\", database_url=\"{}\", owner_database_url=\"{}\"}}]",
            url("tenantry_app"),
            url("tenantry_owner")
        )
    }

    /// Whether a database of that name exists on this cluster.
    pub async fn has_database(&self, name: &str) -> bool {
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let pool = sea_orm::sqlx::PgPool::connect(&url).await.expect("admin");
        let found: Option<i32> =
            sea_orm::sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(&pool)
                .await
                .expect("query");
        pool.close().await;
        found.is_some()
    }

    /// Projects in the shared database, every tenant's (as superuser).
    pub async fn shared_projects(&self) -> i64 {
        let url = format!("postgres://postgres@127.0.0.1:{}/tenantry", self.port);
        let pool = sea_orm::sqlx::PgPool::connect(&url).await.expect("admin");
        let n: i64 = sea_orm::sqlx::query_scalar("SELECT count(*) FROM public.projects")
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    }
}

impl Drop for SecondCluster {
    fn drop(&mut self) {
        let _ = Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c"])
            .arg(format!(
                "{} -D {} -m immediate stop",
                self.bin.join("pg_ctl").display(),
                self.data.display()
            ))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The suite's cluster as `home` in `home_region`, and a second one as
/// `second` in `region`, both migrated.
async fn two_clusters(home_region: &str, region: &str) -> (TestApp, SecondCluster) {
    let second = SecondCluster::start();
    let clusters = second.settings("second", region);
    let app = TestApp::postgres_with(&[
        ("cluster_name", "home"),
        ("region", home_region),
        ("clusters", &clusters),
    ])
    .await;
    // The suite's template database covers the home cluster; the second
    // one is migrated here (its pool, template schema and template
    // database).
    Engine::migrate(&app.settings)
        .await
        .expect("both clusters migrate");
    (app, second)
}

async fn create_in(app: &TestApp, slug: &str, placement: Placement, region: &str) {
    tenantry::lifecycle::create(
        &app.engine,
        NewTenant {
            slug: slug.into(),
            name: format!("{slug} Inc"),
            admin_email: format!("owner@{slug}.test"),
            admin_password: PASSWORD.into(),
            placement: placement.as_str().into(),
            region: region.into(),
            pending: false,
            plan: String::new(),
        },
        "test",
    )
    .await
    .expect("tenant created");
}

async fn project_names(client: &mut Client) -> Vec<String> {
    let res = client.get("/api/v1/projects").await;
    assert!(res.status.is_success(), "{}", res.text);
    res.json()["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_of_a_region_lives_on_its_cluster_and_leaves_it_only_with_a_reason() {
    let (app, second) = two_clusters("us", "eu").await;
    for (slug, placement) in [
        ("eupool", Placement::Pool),
        ("euschema", Placement::Schema),
        ("eudb", Placement::Database),
    ] {
        create_in(&app, slug, placement, "eu").await;
        let ctx = app.ctx(slug).await;
        assert_eq!(ctx.tenant().cluster.as_deref(), Some("second"), "{slug}");
        let mut owner = app.owner_client(slug).await;
        let res = owner
            .post_json(
                "/api/v1/projects",
                serde_json::json!({"name": format!("{slug} plan")}),
            )
            .await;
        assert!(res.status.is_success(), "{slug}: {}", res.text);
        assert_eq!(
            project_names(&mut owner).await,
            vec![format!("{slug} plan")]
        );
    }
    // Where the rows are: the pool tenant's in the second cluster's shared
    // database, the database tenant's in a database there, none at home.
    assert_eq!(second.shared_projects().await, 1, "eupool's project");
    let eudb = app.ctx("eudb").await;
    let database = eudb.tenant().location.clone().expect("location");
    assert!(second.has_database(&database).await);
    assert!(
        !crate::placements::storage_exists(&app, eudb.tenant()).await,
        "not on the home cluster"
    );
    create_in(&app, "home1", Placement::Pool, "").await;
    assert_eq!(app.ctx("home1").await.tenant().cluster, None);
    let refused = tenantry::lifecycle::create(
        &app.engine,
        NewTenant {
            slug: "nowhere".into(),
            name: "Nowhere".into(),
            admin_email: "owner@nowhere.test".into(),
            admin_password: PASSWORD.into(),
            placement: String::new(),
            region: "mars".into(),
            pending: false,
            plan: String::new(),
        },
        "test",
    )
    .await
    .expect_err("no cluster serves mars");
    assert_eq!(refused.field(), Some("region"));

    // The isolation audit reads the second cluster too, and finds nothing.
    let findings = tenantry::tenancy::audit::run(&app.engine)
        .await
        .expect("audit");
    assert!(findings.is_empty(), "{findings:?}");

    // Out of its region only with a reason.
    let to_us = Destination {
        placement: Placement::Pool,
        cluster: Some("home".into()),
        leave_region: None,
    };
    let err = moves::plan_to(&app.engine, "eudb", &to_us, "test")
        .await
        .expect_err("refused without a reason");
    assert_eq!(err.field(), Some("cluster"));
    assert_eq!(
        app.ctx("eudb").await.tenant().cluster.as_deref(),
        Some("second")
    );
    let with_reason = Destination {
        leave_region: Some("the customer moved its headquarters (ticket 4521)".into()),
        ..to_us
    };
    let id = moves::plan_to(&app.engine, "eudb", &with_reason, "root@platform.test")
        .await
        .expect("planned");
    let status = moves::run(&app.engine, id).await.expect("moved");
    assert!(status.finished);
    let moved = app.ctx("eudb").await;
    assert_eq!(
        (moved.tenant().cluster.clone(), moved.tenant().placement),
        (None, Placement::Pool)
    );
    assert!(
        !second.has_database(&database).await,
        "the old database is gone"
    );
    let mut owner = app.owner_client("eudb").await;
    assert_eq!(
        project_names(&mut owner).await,
        vec!["eudb plan".to_owned()]
    );
    let history = tenantry::audit::recent(&app.engine, 50)
        .await
        .expect("audit");
    let left = history
        .iter()
        .find(|e| e.action == "tenant.region_left")
        .expect("the region override is audited");
    assert_eq!(left.actor, "root@platform.test");
    assert!(
        left.detail.contains("eu -> us") && left.detail.contains("ticket 4521"),
        "{}",
        left.detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_tenants_move_between_clusters_without_losing_a_row_or_a_request() {
    let (app, second) = two_clusters("eu", "eu").await;
    let ctx = seeded(&app, "acme").await;
    seeded(&app, "other").await;
    let other_before = contents(&app, "other").await;
    let before = contents(&app, "acme").await;
    let running = Arc::new(AtomicBool::new(true));
    let traffic = live_traffic(app.owner_client("acme").await, running.clone());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    // Home pool -> a database on the second cluster -> its pool -> a
    // schema at home.
    let route = [
        (Placement::Database, "second"),
        (Placement::Pool, "second"),
        (Placement::Schema, "home"),
    ];
    let mut databases = Vec::new();
    for (placement, cluster) in route {
        let to = Destination {
            placement,
            cluster: Some(cluster.into()),
            leave_region: None,
        };
        let id = moves::plan_to(&app.engine, "acme", &to, "test")
            .await
            .expect("planned");
        let status = moves::run(&app.engine, id).await.expect("moved");
        assert!(status.finished && status.step == "done", "{status:?}");
        let now = app.ctx("acme").await;
        assert_eq!(now.tenant().placement, placement);
        assert_eq!(
            app.engine
                .clusters()
                .name_of(now.tenant().cluster.as_deref()),
            cluster
        );
        if placement == Placement::Database {
            databases.extend(now.tenant().location.clone());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    running.store(false, Ordering::Relaxed);
    let (created, failures) = traffic.await.expect("traffic");
    assert!(
        failures.is_empty(),
        "requests failed during the moves: {failures:?}"
    );
    assert!(created.len() > 3, "traffic ran ({} writes)", created.len());
    let after = contents(&app, "acme").await;
    for line in before.lines().filter(|l| l.contains("project ")) {
        assert!(after.contains(line), "kept: {line}");
    }
    for name in &created {
        assert!(after.contains(&format!(":{name}:")), "{name} kept");
    }
    assert_eq!(
        contents(&app, "other").await,
        other_before,
        "bystander untouched"
    );
    // Nothing of acme's is left on the second cluster.
    assert_eq!(second.shared_projects().await, 0);
    for database in &databases {
        assert!(!second.has_database(database).await, "{database} dropped");
    }
    assert_eq!(databases.len(), 1);
    let history = tenantry::audit::recent(&app.engine, 50)
        .await
        .expect("audit");
    let moved: Vec<&str> = history
        .iter()
        .filter(|e| e.action == "tenant.moved")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(moved.len(), 3, "{moved:?}");
    assert!(moved.contains(&"pool@home -> database@second"), "{moved:?}");
    println!(
        "moved pool@home -> database@second -> pool@second -> schema@home under load: {} writes, no failure",
        created.len()
    );
    drop(ctx);
}
