//! What sealing a column with the tenant's data key costs per request
//! (cargo bench -p tenantry-server --bench sealed), beside the same request
//! on a plain column, measured in the same run on a SQLite tenant:
//!
//! - read: a tenant transaction reading one webhook signing secret stored
//!   plain against one reading a sealed one and opening it with the
//!   tenant's key, as a request does;
//! - write: updating the plain one against sealing and updating the sealed
//!   one (fresh values of the same length on both sides);
//! - the cipher alone: sealing and opening one 32-byte value against copying
//!   it.
//!
//! A report, not a test: no thresholds. `BENCH_QUICK=1` runs fewer rounds.

use sea_orm::{ConnectionTrait, Statement};
use std::hint::black_box;
use std::time::Instant;
use tenantry::events::{endpoints, Owner};
use tenantry::tenancy::keys::WEBHOOK_SECRET;
use tenantry::tenancy::{RequestScope, TenantCtx};
use tenantry::{Engine, Settings};

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

async fn one_value(ctx: &TenantCtx, sql: &str) -> String {
    let db = ctx.read().await.expect("db");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("read")
        .expect("row");
    db.commit().await.expect("commit");
    row.try_get("", "v").expect("v")
}

async fn write_value(ctx: &TenantCtx, sql: &str, value: String) {
    let db = ctx.db().await.expect("db");
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [value.into()],
    ))
    .await
    .expect("write");
    db.commit().await.expect("commit");
}

/// Mean nanoseconds per call of `call`, after a warm-up.
async fn mean<F: AsyncFnMut()>(calls: u32, mut call: F) -> f64 {
    for _ in 0..calls / 10 {
        call().await;
    }
    let started = Instant::now();
    for _ in 0..calls {
        call().await;
    }
    started.elapsed().as_nanos() as f64 / f64::from(calls)
}

fn report(what: &str, plain: f64, sealed: f64) {
    println!(
        "{what:<28} plain {:>9.1} µs   sealed {:>9.1} µs   B/A {:.2}×",
        plain / 1000.0,
        sealed / 1000.0,
        sealed / plain
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data").display().to_string();
    let settings = Settings::from_pairs(&[
        ("data_dir", data.as_str()),
        (
            "secret_key",
            "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed",
        ),
        ("webhook_allow_insecure_targets", "true"),
    ])
    .expect("settings");
    Engine::migrate(&settings).await.expect("migrate");
    let engine = tenantry::runtime::connect(&settings).await.expect("engine");
    let input = tenantry::catalog::tenants::NewTenant {
        slug: "sealed".into(),
        name: "Sealed".into(),
        admin_email: "owner@sealed.test".into(),
        admin_password: "correct horse battery".into(),
        ..Default::default()
    };
    tenantry::lifecycle::create(&engine, input, "bench")
        .await
        .expect("tenant");
    let Some(RequestScope::Tenant(ctx)) = tenantry::catalog::resolve::by_slug(&engine, "sealed")
        .await
        .expect("resolve")
    else {
        panic!("the tenant resolves")
    };
    // Two endpoints: the first's secret sealed, as the platform stores it;
    // the second's overwritten with a plain value of the same length, so
    // that the two sides differ only in the sealing.
    let mut rows = Vec::new();
    for _ in 0..2 {
        let made = endpoints::create(
            &engine,
            Owner::of(&ctx),
            "http://127.0.0.1:9/in",
            "",
            "*",
            "bench",
        )
        .await
        .expect("endpoint");
        rows.push(format!(
            "FROM webhook_endpoints WHERE hex(id) = '{}'",
            made.endpoint.id.simple().to_string().to_uppercase()
        ));
    }
    let (sealed_row, plain_row) = (&rows[0], &rows[1]);
    let secret = |n: u32| format!("whsec_{n:032}");
    let update = |row: &str| {
        format!(
            "UPDATE webhook_endpoints SET secret = ? {}",
            row.trim_start_matches("FROM webhook_endpoints ")
        )
    };
    write_value(&ctx, &update(plain_row), secret(0)).await;

    let calls = if quick() { 200 } else { 5_000 };
    println!("== sealed columns: {calls} calls per side, SQLite, debug or release as built");
    let (read_plain, read_sealed) = (
        format!("SELECT secret AS v {plain_row}"),
        format!("SELECT secret AS v {sealed_row}"),
    );
    let plain = mean(calls, async || {
        black_box(one_value(&ctx, &read_plain).await);
    })
    .await;
    let sealed = mean(calls, async || {
        let stored = one_value(&ctx, &read_sealed).await;
        let keys = ctx.keys().await.expect("keys");
        black_box(keys.open(WEBHOOK_SECRET.name, &stored).expect("opens"));
    })
    .await;
    report("read one value", plain, sealed);

    let (write_plain, write_sealed) = (update(plain_row), update(sealed_row));
    let mut n = 0;
    let plain = mean(calls, async || {
        n += 1;
        write_value(&ctx, &write_plain, secret(n)).await;
    })
    .await;
    let sealed = mean(calls, async || {
        n += 1;
        let keys = ctx.keys().await.expect("keys");
        let value = keys.seal(WEBHOOK_SECRET.name, &secret(n)).expect("seals");
        write_value(&ctx, &write_sealed, value).await;
    })
    .await;
    report("write one value", plain, sealed);

    let keys = ctx.keys().await.expect("keys");
    let value = "whsec_0123456789abcdef0123456789abcdef";
    let sealed_value = keys.seal(WEBHOOK_SECRET.name, value).expect("seals");
    let rounds = calls * 20;
    let plain = mean(rounds, async || {
        black_box(value.to_owned());
    })
    .await;
    let sealed = mean(rounds, async || {
        black_box(keys.seal(WEBHOOK_SECRET.name, value).expect("seals"));
        black_box(
            keys.open(WEBHOOK_SECRET.name, &sealed_value)
                .expect("opens"),
        );
    })
    .await;
    report("cipher alone (seal + open)", plain, sealed);
}
