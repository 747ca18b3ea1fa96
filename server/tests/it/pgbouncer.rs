//! Issue 24: pool and schema tenants through PgBouncer in transaction mode
//! (Debian's 1.18). Each test starts its own PgBouncer in front of the
//! PostgreSQL the suite uses; the tenants' transactions go through it
//! (`tenant_pool_url`), their statements unnamed (PgBouncer 1.18 keeps no
//! prepared statement from one transaction to the next); the catalog, its
//! `LISTEN`s and the migrations go straight to PostgreSQL. Here: one server
//! connection used in turn by two tenants' transactions and by unbound
//! sessions carries nothing over; the attack suite and the fuzzer run
//! through it too (`through_pgbouncer` in `attack.rs` and `fuzz.rs`).

use crate::harness::{pg_host, TestApp};
use crate::peer::{free_port, wait_listening};

use std::os::unix::fs::PermissionsExt;
use tenantry::product::projects;

/// A PgBouncer of the test's own, in transaction mode, with `server_pool`
/// server connections per database and user (1: every client shares one).
pub struct PgBouncer {
    pub port: u16,
    process: std::process::Child,
    _dir: tempfile::TempDir,
}

impl PgBouncer {
    pub async fn start(server_pool: u32) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        // PgBouncer refuses to run as root: it runs as `postgres`, which
        // must read what is written here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let users = dir.path().join("users.txt");
        let names = [
            "tenantry_app",
            "tenantry_owner",
            "tenantry_platform",
            "postgres",
        ];
        let listed: Vec<String> = names.iter().map(|n| format!("\"{n}\" \"\"")).collect();
        std::fs::write(&users, listed.join("\n") + "\n").expect("users");
        let (host, pg_port) = pg_host()
            .split_once(':')
            .map_or(("127.0.0.1".to_owned(), "5432".to_owned()), |(h, p)| {
                (h.to_owned(), p.to_owned())
            });
        let port = free_port();
        let config = dir.path().join("pgbouncer.ini");
        std::fs::write(
            &config,
            format!(
                "[databases]\n* = host={host} port={pg_port}\n\n[pgbouncer]\n\
                 listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
                 auth_type = trust\nauth_file = {}\npool_mode = transaction\n\
                 default_pool_size = {server_pool}\nmax_client_conn = 1000\n\
                 ignore_startup_parameters = extra_float_digits,options\n\
                 admin_users = postgres\n\
                 server_reset_query =\n",
                users.display()
            ),
        )
        .expect("config");
        for file in [&users, &config] {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("pgbouncer");
        let process = std::process::Command::new(binary)
            .arg("-u")
            .arg("postgres")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("pgbouncer runs (Debian's package; scripts/setup installs it)");
        wait_listening(port, "pgbouncer").await;
        Self {
            port,
            process,
            _dir: dir,
        }
    }

    /// `url` (a PostgreSQL URL of the suite's server) through this PgBouncer.
    pub fn through(&self, url: &str) -> String {
        url.replacen(&pg_host(), &format!("127.0.0.1:{}", self.port), 1)
    }
}

impl PgBouncer {
    /// The transactions it has carried to `database` (`SHOW STATS` on its
    /// admin console, read with psql: the console speaks only the simple
    /// protocol).
    pub async fn transactions(&self, database: &str) -> i64 {
        let out = std::process::Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-d", "pgbouncer", "-At", "-F", ",", "-c", "SHOW STATS"])
            .output()
            .expect("psql");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let mut fields = line.split(',');
                (fields.next()? == database).then(|| fields.next()?.parse::<i64>().ok())?
            })
            .sum()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// One server connection behind PgBouncer for every client: alpha's
/// transactions, bravo's and a bare session of the runtime role all run on
/// it in turn, and nothing of one reaches the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_connection_shared_by_tenants_carries_nothing_over() {
    let app = TestApp::through_pgbouncer(1, &[]).await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let bouncer = app.bouncer.clone().expect("bouncer");
    let name = app.pg_database.clone().expect("database");
    let bare = sea_orm::sqlx::PgPool::connect(
        &bouncer.through(&crate::harness::pg_url("tenantry_app", &name)),
    )
    .await
    .expect("a bare client of the bouncer");
    let unbound = async || {
        let sql = "SELECT (SELECT count(*) FROM projects) AS n, \
                   coalesce(current_setting('app.tenant_id', true), '') AS t, \
                   current_setting('search_path') AS p";
        let row = sea_orm::sqlx::raw_sql(sql)
            .fetch_one(&bare)
            .await
            .expect("bare query");
        use sea_orm::sqlx::Row;
        let (n, t, p): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
        (n, t, p)
    };
    for (ctx, name) in [(&alpha, "alpha plan"), (&bravo, "bravo plan")] {
        let db = ctx.db().await.expect("db");
        projects::create(ctx, &db, name).await.expect("create");
        db.commit().await.expect("commit");
    }
    // The same statements again and again, from transactions of both
    // tenants and between them: none asks for a prepared statement the
    // server connection lacks, each tenant sees its own row alone, and the
    // bare session sees nothing and no binding.
    for _ in 0..5 {
        for ctx in [&alpha, &bravo] {
            let db = ctx.read().await.expect("read");
            let listed = projects::list(&db).await.expect("list");
            assert_eq!(listed.len(), 1);
            assert!(listed[0].name.starts_with(ctx.tenant().slug.as_str()));
            db.commit().await.expect("end");
            let (n, t, p) = unbound().await;
            assert_eq!(
                (n, t.as_str()),
                (0, ""),
                "after {}",
                ctx.tenant().slug.as_str()
            );
            assert!(!p.contains("tenant_"), "{p}");
        }
    }
    bare.close().await;
    // And they did go through it: its own count of the transactions it
    // carried to this database.
    let carried = bouncer.transactions(&name).await;
    assert!(carried >= 20, "{carried} transactions through PgBouncer");
}

/// Database tenants go through PgBouncer too (its `*` entry reaches each
/// tenant database): one server connection per tenant database, their
/// statements unnamed, each tenant reading its own rows alone; PgBouncer's
/// own count shows each database's transactions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_tenants_go_through_pgbouncer_too() {
    let app = TestApp::through_pgbouncer(1, &[]).await;
    app.placements_cycle(&[tenantry::tenancy::Placement::Database]);
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let bouncer = app.bouncer.clone().expect("bouncer");
    for _ in 0..5 {
        for ctx in [&alpha, &bravo] {
            let db = ctx.db().await.expect("db");
            let name = format!("{} plan", ctx.tenant().slug.as_str());
            projects::create(ctx, &db, &name).await.expect("create");
            db.commit().await.expect("commit");
            let db = ctx.read().await.expect("read");
            let listed = projects::list(&db).await.expect("list");
            db.commit().await.expect("end");
            assert!(listed.iter().all(|p| p.name == name), "{listed:?}");
        }
    }
    for ctx in [&alpha, &bravo] {
        let database = ctx
            .tenant()
            .location
            .clone()
            .expect("a database tenant's database");
        let carried = bouncer.transactions(&database).await;
        assert!(
            carried >= 10,
            "{carried} transactions to {database} through PgBouncer"
        );
    }
}
