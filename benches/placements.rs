//! Placement numbers (a benchmark, not a test): provisioning time per
//! placement, memory and connections per idle tenant, a fleet migration over
//! many schema tenants, and the write freeze of a move of a large tenant.
//!
//! `cargo bench -p tenantry --bench placements [-- --quick]`, or `bench/placements`.
//! Needs a Postgres superuser URL in `TENANTRY_BENCH_ADMIN_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and the roles made by
//! `scripts/pg-setup`. It works in a database of its own, `tenantry_bench`,
//! dropped and made again on each run, and writes `target/bench/placements.json`.

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::time::{Duration, Instant};
use tenantry::catalog::tenants::NewTenant;
use tenantry::tenancy::{fleet, moves, Engine, Placement};
use tenantry::Settings;
use tenantry_migrations::rehearsal::NextRelease;

const DB: &str = "tenantry_bench";
const PREFIX: &str = "tenantry_bench_db_";

struct Sizes {
    provision: usize,
    idle: usize,
    fleet: usize,
    rows: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes = if quick {
        Sizes {
            provision: 5,
            idle: 10,
            fleet: 20,
            rows: 5_000,
        }
    } else {
        Sizes {
            provision: 20,
            idle: 100,
            fleet: 1_000,
            rows: 100_000,
        }
    };
    let admin = std::env::var("TENANTRY_BENCH_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let server = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(s, _)| s)
        .to_owned();
    let host = server
        .rsplit_once('@')
        .map_or(server.as_str(), |(_, h)| h)
        .to_owned();
    reset(&admin).await?;
    let settings = Settings::from_pairs(&[
        (
            "database_url",
            &format!("postgres://tenantry_app@{host}/{DB}"),
        ),
        (
            "owner_database_url",
            &format!("postgres://tenantry_owner@{host}/{DB}"),
        ),
        ("tenant_database_prefix", PREFIX),
        ("max_tenant_pools", "1000"),
        ("tenant_connections", "40"),
        ("tenant_database_pool_size", "1"),
    ])?;
    Engine::migrate(&settings).await?;
    let engine = tenantry::runtime::connect(&settings).await?;
    let mut report = serde_json::Map::new();

    println!("== provisioning (lifecycle::create: catalog rows, storage, first owner) ==");
    let mut pool_p50 = 0.0;
    for placement in [Placement::Pool, Placement::Schema, Placement::Database] {
        let mut times = Vec::new();
        for i in 0..sizes.provision {
            let started = Instant::now();
            create(&engine, &format!("p-{}-{i}", placement.as_str()), placement).await?;
            times.push(ms(started.elapsed()));
        }
        let (p50, p99) = percentiles(&mut times);
        if placement == Placement::Pool {
            pool_p50 = p50;
        }
        println!(
            "{:<9} p50 {p50:7.1} ms  p99 {p99:7.1} ms  (storage over pool: {:+.1} ms)",
            placement.as_str(),
            p50 - pool_p50
        );
        report.insert(
            format!("provision_{}_ms", placement.as_str()),
            serde_json::json!({"p50": p50, "p99": p99, "n": sizes.provision}),
        );
    }

    println!("== idle tenants: server memory and Postgres connections per tenant ==");
    for placement in [Placement::Pool, Placement::Schema, Placement::Database] {
        let mut ctxs = Vec::new();
        for i in 0..sizes.idle {
            let slug = format!("i-{}-{i}", placement.as_str());
            create(&engine, &slug, placement).await?;
            ctxs.push(slug);
        }
        // A fresh engine, so only what touching the tenants costs is counted.
        let fresh = tenantry::runtime::connect(&settings).await?;
        touch(&fresh, &ctxs[..1]).await?;
        let (rss_before, conns_before) = (rss_kb(), connections(&admin).await?);
        touch(&fresh, &ctxs).await?;
        let (rss_after, conns_after) = (rss_kb(), connections(&admin).await?);
        let per_tenant_kb = (rss_after - rss_before) as f64 / sizes.idle as f64;
        let per_tenant_conns = (conns_after - conns_before) as f64 / sizes.idle as f64;
        println!(
            "{:<9} {per_tenant_kb:6.1} KB RSS/tenant  {per_tenant_conns:4.2} connections/tenant  (open tenant pools: {})",
            placement.as_str(),
            fresh.open_tenant_pools().await
        );
        report.insert(
            format!("idle_{}", placement.as_str()),
            serde_json::json!({"rss_kb_per_tenant": per_tenant_kb, "connections_per_tenant": per_tenant_conns}),
        );
    }

    println!("== fleet migration over {} schema tenants ==", sizes.fleet);
    let started = Instant::now();
    for i in 0..sizes.fleet {
        create(&engine, &format!("f-{i}"), Placement::Schema).await?;
    }
    let provisioned = started.elapsed();
    let options = fleet::FleetOptions {
        concurrency: 4,
        canary: 1,
    };
    let started = Instant::now();
    let migrated = fleet::migrate_all::<NextRelease>(&settings, &options, &fleet::Quiet).await?;
    let took = started.elapsed();
    println!(
        "provisioned {} schema tenants in {:.1} s; migrated {} units in {:.1} s ({:.1} ms/tenant, concurrency 4)",
        sizes.fleet,
        provisioned.as_secs_f64(),
        migrated.migrated,
        took.as_secs_f64(),
        ms(took) / migrated.migrated.max(1) as f64
    );
    report.insert(
        "fleet_migrate".into(),
        serde_json::json!({"schema_tenants": sizes.fleet, "units": migrated.migrated, "seconds": took.as_secs_f64(), "provision_seconds": provisioned.as_secs_f64()}),
    );

    println!(
        "== moving a tenant of {} rows, with a writer running ==",
        sizes.rows
    );
    create(&engine, "big", Placement::Pool).await?;
    fill(&engine, "big", sizes.rows).await?;
    for to in [Placement::Schema, Placement::Database, Placement::Pool] {
        let writer = spawn_writer(engine.clone());
        let started = Instant::now();
        let status = moves::move_tenant(&engine, "big", to, "bench").await?;
        let total = started.elapsed();
        let (writes, slowest) = writer.stop().await;
        println!(
            "-> {:<9} total {:6.2} s  write freeze {:4} ms  slowest write {:6.1} ms over {writes} writes",
            to.as_str(),
            total.as_secs_f64(),
            status.freeze_ms.unwrap_or_default(),
            slowest
        );
        report.insert(
            format!("move_to_{}", to.as_str()),
            serde_json::json!({"rows": status.rows_total, "seconds": total.as_secs_f64(), "freeze_ms": status.freeze_ms, "slowest_write_ms": slowest, "writes": writes}),
        );
    }

    std::fs::create_dir_all("target/bench")?;
    std::fs::write(
        "target/bench/placements.json",
        serde_json::to_string_pretty(&serde_json::Value::Object(report))?,
    )?;
    println!("wrote target/bench/placements.json");
    Ok(())
}

async fn create(engine: &Engine, slug: &str, placement: Placement) -> anyhow::Result<()> {
    tenantry::lifecycle::create(
        engine,
        NewTenant {
            slug: slug.into(),
            name: slug.into(),
            admin_email: format!("owner@{slug}.bench"),
            admin_password: "bench password 1".into(),
            placement: placement.as_str().into(),
            region: String::new(),
            pending: false,
            plan: String::new(),
        },
        "bench",
    )
    .await?;
    Ok(())
}

/// One read transaction per tenant (opens its pool on the database placement).
async fn touch(engine: &Engine, slugs: &[String]) -> anyhow::Result<()> {
    for slug in slugs {
        let Some(tenantry::tenancy::RequestScope::Tenant(ctx)) =
            tenantry::catalog::resolve::by_slug(engine, slug).await?
        else {
            anyhow::bail!("{slug} does not resolve");
        };
        let db = ctx.read().await?;
        tenantry::product::projects::list(&db).await?;
        db.commit().await?;
    }
    Ok(())
}

/// `rows` tasks under 100 projects, inserted in bulk inside the tenant.
async fn fill(engine: &Engine, slug: &str, rows: usize) -> anyhow::Result<()> {
    let Some(tenantry::tenancy::RequestScope::Tenant(ctx)) =
        tenantry::catalog::resolve::by_slug(engine, slug).await?
    else {
        anyhow::bail!("{slug} does not resolve");
    };
    let db = ctx.db().await?;
    let tenant = ctx.id().uuid();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO projects (tenant_id, id, name, created_at, updated_at)
         SELECT $1, gen_random_uuid(), 'project ' || g, now(), now() FROM generate_series(1, 100) g",
        [tenant.into()],
    ))
    .await?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO tasks (tenant_id, id, project_id, title, done, created_at)
         SELECT $1, gen_random_uuid(), p.id, 'task ' || g, g % 3 = 0, now()
         FROM generate_series(1, $2) g
         JOIN (SELECT id, row_number() OVER () - 1 AS n FROM projects) p ON p.n = g % 100",
        [tenant.into(), (rows as i64).into()],
    ))
    .await?;
    db.commit().await?;
    Ok(())
}

struct Writer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<anyhow::Result<(usize, f64)>>,
}

impl Writer {
    async fn stop(self) -> (usize, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }
}

/// Creates projects in "big" in a loop; reports how many and the slowest.
fn spawn_writer(engine: Engine) -> Writer {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let task = tokio::spawn(async move {
        let (mut n, mut slowest) = (0, 0.0f64);
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            let started = Instant::now();
            let Some(tenantry::tenancy::RequestScope::Tenant(ctx)) =
                tenantry::catalog::resolve::by_slug(&engine, "big").await?
            else {
                anyhow::bail!("big does not resolve");
            };
            let db = ctx.db_for_write().await?;
            tenantry::product::projects::create(&ctx, &db, &format!("live {n}")).await?;
            db.commit().await?;
            slowest = slowest.max(ms(started.elapsed()));
            n += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok((n, slowest))
    });
    Writer { stop, task }
}

async fn reset(admin: &str) -> anyhow::Result<()> {
    let db = Database::connect(admin).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT datname::text AS d FROM pg_database WHERE datname = '{DB}' OR datname = '{DB}_template' OR starts_with(datname, '{PREFIX}')"),
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "d")?;
        db.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .await?;
    }
    db.execute_unprepared(&format!("CREATE DATABASE {DB} OWNER tenantry_owner"))
        .await?;
    db.close().await?;
    Ok(())
}

/// Connections of the runtime role to the bench's databases.
async fn connections(admin: &str) -> anyhow::Result<i64> {
    let db = Database::connect(admin).await?;
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE usename = 'tenantry_app' AND (datname = '{DB}' OR starts_with(datname, '{PREFIX}'))"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    db.close().await?;
    Ok(row.try_get("", "n")?)
}

fn rss_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentiles(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}
