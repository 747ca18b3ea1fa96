//! Rows an older release kept in the catalog (API keys, links, SSO, support
//! sessions, mail, the tenant's audit entries) move into each tenant's own
//! placement in the fleet migration: nothing lost, nothing changed (counts
//! and checksums per tenant and table), resumable after a failure.
//!
//! About 700 lines, one scenario per test: each migration that moved tenant
//! rows, replayed on a catalog holding legacy rows, once per backend.

use crate::harness::{pg_admin_in, TestApp};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use std::collections::BTreeMap;
use tenantry::tenancy::{fleet, Placement, TenantCtx};
use tenantry_migrations::legacy::moved;
use tenantry_migrations::TenantMigrator;

type Census = BTreeMap<(String, String), (i64, String)>;

/// Every tenant-plane column but the tenant's, with a sample value of its type.
async fn sample_row(
    conn: &impl ConnectionTrait,
    table: &str,
    tenant: uuid::Uuid,
    action: Option<&str>,
) -> String {
    let columns = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT column_name::text AS name, data_type::text AS ty FROM information_schema.columns
             WHERE table_schema = 'tenantry_legacy' AND table_name = $1 ORDER BY ordinal_position",
            [table.into()],
        ))
        .await
        .expect("columns");
    let (mut names, mut values) = (Vec::new(), Vec::new());
    for c in columns {
        let name: String = c.try_get("", "name").expect("name");
        let ty: String = c.try_get("", "ty").expect("ty");
        let value = match (name.as_str(), ty.as_str()) {
            ("tenant", _) => format!("'{tenant}'::uuid"),
            ("action", _) => format!("'{}'", action.unwrap_or("x")),
            (_, "uuid") => "gen_random_uuid()".into(),
            (_, "text") => "'legacy ' || gen_random_uuid()".into(),
            (_, "timestamp with time zone") => "now() - random() * interval '30 days'".into(),
            (_, "boolean") => "random() < 0.5".into(),
            (_, "integer" | "bigint") => "(random() * 1000)::int".into(),
            (_, other) => panic!("{table}.{name}: no sample for {other}"),
        };
        names.push(name);
        values.push(value);
    }
    format!(
        "INSERT INTO tenantry_legacy.{table} ({}) VALUES ({})",
        names.join(", "),
        values.join(", ")
    )
}

/// Count and checksum of each moved table's rows of `tenant`, read as the
/// set-aside rows would land (`tenant` named `tenant_id`).
async fn legacy_census(owner: &impl ConnectionTrait, tenants: &[&TenantCtx]) -> Census {
    let mut census = Census::new();
    for ctx in tenants {
        for table in moved() {
            let row = owner
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!(
                        "SELECT count(*) AS n, coalesce(md5(string_agg(j::text, ',' ORDER BY j::text)), '') AS h
                         FROM (SELECT to_jsonb(l) - 'tenant' || jsonb_build_object('tenant_id', l.tenant) AS j
                               FROM tenantry_legacy.{table} l WHERE l.tenant = '{}') s",
                        ctx.id().uuid()
                    ),
                ))
                .await
                .expect("census")
                .expect("row");
            census.insert(
                (ctx.tenant().slug.to_string(), table.to_owned()),
                (
                    row.try_get("", "n").expect("n"),
                    row.try_get("", "h").expect("h"),
                ),
            );
        }
    }
    census
}

/// The same figures, read in each tenant's own bound transaction.
async fn plane_census(tenants: &[&TenantCtx]) -> Census {
    let mut census = Census::new();
    for ctx in tenants {
        let db = ctx.read().await.expect("db");
        for table in moved() {
            let row = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!(
                        "SELECT count(*) AS n, coalesce(md5(string_agg(j::text, ',' ORDER BY j::text)), '') AS h
                         FROM (SELECT to_jsonb(t) AS j FROM {table} t) s"
                    ),
                ))
                .await
                .expect("census")
                .expect("row");
            census.insert(
                (ctx.tenant().slug.to_string(), table.to_owned()),
                (
                    row.try_get("", "n").expect("n"),
                    row.try_get("", "h").expect("h"),
                ),
            );
        }
        db.commit().await.expect("commit");
    }
    census
}

async fn audit_entries(ctx: &TenantCtx) -> i64 {
    let db = ctx.read().await.expect("db");
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'api_key.created'",
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get("", "n").expect("n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_populated_fleet_moves_its_catalog_rows_into_every_placement_and_resumes_after_a_failure()
{
    let app =
        TestApp::postgres_placed(&[Placement::Pool, Placement::Schema, Placement::Database]).await;
    let pooled = app.tenant("pooled").await;
    let schemed = app.tenant("schemed").await;
    let databased = app.tenant("databased").await;
    let fleet_tenants = [&pooled, &schemed, &databased];
    let catalog = app.pg_database.clone().expect("postgres");
    let owner = Database::connect(crate::harness::pg_url("tenantry_owner", &catalog))
        .await
        .expect("owner");

    // The state an older release left: the catalog's tables, set aside by
    // catalog m0014, holding rows of every tenant, and none of them yet in
    // the planes (creating a tenant opens its billing account there now).
    for ctx in fleet_tenants {
        ctx.run(true, async |db| {
            for table in moved() {
                db.execute_unprepared(&format!("DELETE FROM {table}"))
                    .await?;
            }
            Ok(())
        })
        .await
        .expect("planes emptied");
    }
    owner
        .execute_unprepared("CREATE SCHEMA tenantry_legacy")
        .await
        .expect("schema");
    for table in moved() {
        owner
            .execute_unprepared(&format!(
                "CREATE TABLE tenantry_legacy.{table} AS SELECT * FROM public.{table} WHERE false;
                 ALTER TABLE tenantry_legacy.{table} RENAME COLUMN tenant_id TO tenant"
            ))
            .await
            .expect("legacy table");
    }
    owner
        .execute_unprepared(
            "CREATE TABLE tenantry_legacy.copied (tenant uuid NOT NULL PRIMARY KEY)",
        )
        .await
        .expect("copied");
    for ctx in fleet_tenants {
        for table in moved() {
            // One configuration per tenant; several rows elsewhere.
            let rows = if matches!(table, "sso_configs" | "tenant_branding") {
                1
            } else {
                3
            };
            for _ in 0..rows {
                let sql = sample_row(&owner, table, ctx.id().uuid(), None).await;
                owner.execute_unprepared(&sql).await.expect("legacy row");
            }
        }
        // Two audit entries its admins read, one they do not.
        for action in ["api_key.created", "api_key.created", "tenant.created"] {
            owner
                .execute_unprepared(&format!(
                    // Bound: the platform audit is behind the wall (one
                    // simple query is one transaction).
                    "SELECT set_config('app.tenant_id', '{tenant}', true);
                     INSERT INTO platform_audit (id, at, actor, action, tenant, detail)
                     VALUES (gen_random_uuid(), now(), 'legacy', '{action}', '{tenant}', 'd')",
                    tenant = ctx.id().uuid()
                ))
                .await
                .expect("audit");
        }
    }
    let before = legacy_census(&owner, &fleet_tenants).await;
    assert!(before.values().all(|(n, _)| *n >= 1), "{before:?}");

    // The database tenant's unit is broken: the run fails there, names it,
    // and the tenants copied before it stay copied.
    let unit = databased.tenant().location.clone().expect("database");
    pg_admin_in(&unit, "ALTER TABLE api_keys RENAME TO api_keys_away").await;
    let options = fleet::FleetOptions {
        concurrency: 2,
        canary: 1,
    };
    let failed = fleet::migrate_all::<TenantMigrator>(&app.settings, &options, &fleet::Quiet)
        .await
        .expect_err("the broken unit fails the run");
    let message = format!("{failed:?}");
    assert!(message.contains("databased"), "names the tenant: {message}");
    let legacy_left = owner
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'tenantry_legacy'",
        ))
        .await
        .expect("q")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(
        legacy_left, 1,
        "nothing is dropped before every tenant is copied"
    );

    pg_admin_in(&unit, "ALTER TABLE api_keys_away RENAME TO api_keys").await;
    let report = fleet::migrate_all::<TenantMigrator>(&app.settings, &options, &fleet::Quiet)
        .await
        .expect("the second run completes");
    assert!(report.legacy.tenants >= 1, "{report:?}");

    let after = plane_census(&fleet_tenants).await;
    assert_eq!(
        before, after,
        "every row arrived unchanged in its tenant's placement"
    );
    for ctx in fleet_tenants {
        assert_eq!(audit_entries(ctx).await, 2, "{}", ctx.tenant().slug);
    }
    let gone = owner
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'tenantry_legacy'",
        ))
        .await
        .expect("q")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(
        gone, 0,
        "the set-aside rows are dropped once every tenant has them"
    );
    // A third run has nothing to do.
    let again = fleet::migrate_all::<TenantMigrator>(&app.settings, &options, &fleet::Quiet)
        .await
        .expect("third run");
    assert_eq!(again.legacy.tenants, 0);
    assert_eq!(plane_census(&fleet_tenants).await, after);
    let _ = owner.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_the_catalog_rows_move_into_each_tenants_file() {
    let app = TestApp::sqlite().await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    // Real rows, made by the application in each tenant's file...
    for slug in ["alpha", "bravo"] {
        app.api_key(slug, "member").await;
        app.api_key(slug, "viewer").await;
    }
    // ...then put back where an older release kept them: the catalog file.
    let catalog = Database::connect(format!(
        "sqlite://{}?mode=rw",
        app.settings.data_dir.join("catalog.db").display()
    ))
    .await
    .expect("catalog");
    let mut expected = BTreeMap::new();
    for (i, ctx) in [&alpha, &bravo].into_iter().enumerate() {
        let file = app
            .settings
            .tenant_files_dir()
            .join(format!("{}.db", ctx.id()));
        catalog
            .execute_unprepared(&format!("ATTACH DATABASE '{}' AS t{i}", file.display()))
            .await
            .expect("attach");
        for table in moved() {
            if i == 0 {
                catalog
                    .execute_unprepared(&format!(
                        "CREATE TABLE legacy_{table} AS SELECT * FROM t0.{table} WHERE 0;
                         ALTER TABLE legacy_{table} RENAME COLUMN tenant_id TO tenant"
                    ))
                    .await
                    .expect("legacy table");
            }
            catalog
                .execute_unprepared(&format!(
                    "INSERT INTO legacy_{table} SELECT * FROM t{i}.{table}; DELETE FROM t{i}.{table}"
                ))
                .await
                .expect("set aside");
        }
        let keys = catalog
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) AS n, group_concat(prefix || secret_hash, ',') AS h
                 FROM (SELECT prefix, secret_hash FROM legacy_api_keys ORDER BY prefix)",
            ))
            .await
            .expect("q")
            .expect("row");
        expected.insert(i, keys.try_get::<i64>("", "n").expect("n"));
        catalog
            .execute_unprepared(&format!("DETACH DATABASE t{i}"))
            .await
            .expect("detach");
    }
    catalog
        .execute_unprepared("CREATE TABLE legacy_copied (tenant uuid NOT NULL PRIMARY KEY)")
        .await
        .expect("copied");
    assert_eq!(expected[&1], 4, "both tenants' keys set aside");
    let keys_of = |ctx: &TenantCtx| {
        let ctx = ctx.clone();
        async move {
            let db = ctx.read().await.expect("db");
            let n = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT count(*) AS n FROM api_keys",
                ))
                .await
                .expect("q")
                .expect("row")
                .try_get::<i64>("", "n")
                .expect("n");
            db.commit().await.expect("commit");
            n
        }
    };
    assert_eq!(keys_of(&alpha).await, 0);

    let report = fleet::migrate_all::<TenantMigrator>(
        &app.settings,
        &fleet::FleetOptions::from_settings(&app.settings),
        &fleet::Quiet,
    )
    .await
    .expect("migrate");
    assert_eq!(report.legacy.tenants, 2, "{report:?}");
    assert_eq!(keys_of(&alpha).await, 2);
    assert_eq!(keys_of(&bravo).await, 2);
    // The keys work again: they are the same rows.
    let listed = tenantry::identity::api_keys::list(&alpha)
        .await
        .expect("list");
    assert_eq!(listed.len(), 2);
    let left = catalog
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'legacy_%'",
        ))
        .await
        .expect("q")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(left, 0, "set-aside tables dropped");
    let _ = catalog.close().await;
}

/// Catalog m0015 on a catalog an older release populated: the platform's
/// endpoints and deliveries stay (in their own tables), a tenant's endpoint
/// and its deliveries are set aside in the tenant plane's shape, each
/// delivery with a copy of its event, and the tenant is noted for the
/// delivery worker.
async fn m0015_keeps_the_platforms_webhooks_and_sets_the_tenants_aside(
    db: &DatabaseConnection,
    legacy: &str,
) {
    use tenantry_migrations::sea_orm_migration::MigratorTrait;
    tenantry_migrations::CatalogMigrator::up(db, Some(14))
        .await
        .expect("catalog up to m0014");
    let (tenant, event, platform, own) = (
        "0190f5c2-0000-7000-8000-000000000001",
        "0190f5c2-0000-7000-8000-000000000002",
        "0190f5c2-0000-7000-8000-000000000003",
        "0190f5c2-0000-7000-8000-000000000004",
    );
    let at = "'2026-11-30 10:00:00+00'";
    let endpoint = |id: &str, owner: &str| {
        format!(
            "INSERT INTO webhook_endpoints (id, tenant, url, description, events, secret, enabled, created_at)
             VALUES ('{id}', {owner}, 'https://hooks.example/{id}', 'd', '*', 'whsec_{id}', true, {at})"
        )
    };
    let delivery = |id: &str, endpoint: &str| {
        format!(
            "INSERT INTO webhook_deliveries (id, endpoint, event, tenant, status, attempts, next_attempt_at, created_at)
             VALUES ('{id}', '{endpoint}', '{event}', '{tenant}', 'pending', 2, {at}, {at})"
        )
    };
    for sql in [
        format!(
            "INSERT INTO tenants (id, slug, name, state, placement, created_at, updated_at)
             VALUES ('{tenant}', 'acme', 'Acme', 'active', 'pool', {at}, {at})"
        ),
        format!(
            "INSERT INTO lifecycle_events (id, tenant, slug, kind, actor, data, occurred_at)
             VALUES ('{event}', '{tenant}', 'acme', 'tenant.suspended', 'cli', '{{\"state\":\"suspended\"}}', {at})"
        ),
        endpoint(platform, "NULL"),
        endpoint(own, &format!("'{tenant}'")),
        delivery("0190f5c2-0000-7000-8000-000000000005", platform),
        delivery("0190f5c2-0000-7000-8000-000000000006", own),
    ] {
        db.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tenantry_migrations::CatalogMigrator::up(db, None)
        .await
        .expect("m0015");

    let one = |sql: String| one_row(db, sql);
    let n = |sql: String| number(db, sql);
    assert_eq!(
        n("SELECT count(*) AS n FROM platform_webhook_endpoints".into()).await,
        1
    );
    assert_eq!(
        n("SELECT count(*) AS n FROM platform_webhook_deliveries".into()).await,
        1
    );
    let set_aside = one(format!(
        "SELECT count(*) AS n, min(secret) AS secret FROM {legacy}webhook_endpoints"
    ))
    .await;
    assert_eq!(set_aside.try_get::<i64>("", "n").expect("n"), 1);
    assert_eq!(
        set_aside.try_get::<String>("", "secret").expect("secret"),
        format!("whsec_{own}")
    );
    let copied = one(format!(
        "SELECT count(*) AS n, min(event_kind) AS kind, min(event_slug) AS slug,
             min(event_data) AS data, min(attempts) AS attempts
         FROM {legacy}webhook_deliveries"
    ))
    .await;
    assert_eq!(copied.try_get::<i64>("", "n").expect("n"), 1);
    assert_eq!(
        copied.try_get::<String>("", "kind").expect("kind"),
        "tenant.suspended"
    );
    assert_eq!(copied.try_get::<String>("", "slug").expect("slug"), "acme");
    assert_eq!(
        copied.try_get::<String>("", "data").expect("data"),
        "{\"state\":\"suspended\"}"
    );
    assert_eq!(copied.try_get::<i32>("", "attempts").expect("attempts"), 2);
    assert_eq!(
        n("SELECT count(*) AS n FROM work_due WHERE queue = 'webhooks'".into()).await,
        1,
        "the tenant is noted for the delivery worker"
    );
}

/// Runs `check` on an empty SQLite catalog file, with the prefix set-aside
/// tables carry there.
async fn on_a_fresh_sqlite_catalog(check: impl AsyncFnOnce(&DatabaseConnection, &str)) {
    let dir = tempfile::tempdir().expect("dir");
    let db = Database::connect(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("catalog.db").display()
    ))
    .await
    .expect("sqlite");
    check(&db, "legacy_").await;
    let _ = db.close().await;
}

/// Runs `check` on an empty PostgreSQL database, with the prefix set-aside
/// tables carry there.
async fn on_a_fresh_postgres_catalog(check: impl AsyncFnOnce(&DatabaseConnection, &str)) {
    let name = format!("tenantry_t_legacy_{}", uuid::Uuid::new_v4().simple());
    crate::harness::pg_admin(&format!("CREATE DATABASE {name}")).await;
    let db = Database::connect(crate::harness::pg_url("postgres", &name))
        .await
        .expect("postgres");
    check(&db, "tenantry_legacy.").await;
    let _ = db.close().await;
    crate::harness::pg_admin(&format!("DROP DATABASE {name}")).await;
}

/// The one row `sql` answers.
async fn one_row(db: &DatabaseConnection, sql: String) -> sea_orm::QueryResult {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(backend, sql.clone()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("row")
}

/// The `n` of the one row `sql` answers.
async fn number(db: &DatabaseConnection, sql: String) -> i64 {
    one_row(db, sql).await.try_get::<i64>("", "n").expect("n")
}

#[tokio::test]
async fn on_sqlite_m0015_keeps_the_platforms_webhooks_and_sets_the_tenants_aside() {
    on_a_fresh_sqlite_catalog(m0015_keeps_the_platforms_webhooks_and_sets_the_tenants_aside).await;
}

#[tokio::test]
async fn on_postgres_m0015_keeps_the_platforms_webhooks_and_sets_the_tenants_aside() {
    on_a_fresh_postgres_catalog(m0015_keeps_the_platforms_webhooks_and_sets_the_tenants_aside)
        .await;
}

/// Catalog m0019 on a catalog an older release populated: a tenant's
/// branding, domains, plan overrides, quota counters and billing (account,
/// credit, invoices) are set aside in the tenant plane's shape (the
/// fleet migration copies them into its placement, as above), the catalog
/// tables go, and what the platform needs to find the tenant stays as
/// directory entries: the verified host name and the Stripe customer →
/// tenant, and the tenant noted for the loops that visit it.
async fn m0019_sets_the_tenants_records_aside_and_keeps_the_verified_hosts(
    db: &DatabaseConnection,
    legacy: &str,
) {
    use tenantry_migrations::sea_orm_migration::MigratorTrait;
    tenantry_migrations::CatalogMigrator::up(db, Some(18))
        .await
        .expect("catalog up to m0018");
    let tenant = "0190f5c2-0000-7000-8000-000000000001";
    let account = "0190f5c2-0000-7000-8000-000000000004";
    let at = "'2026-11-30 10:00:00+00'";
    let domain = |id: &str, host: &str, state: &str| {
        format!(
            "INSERT INTO tenant_domains (id, tenant, hostname, state, token, is_primary, failures,
                 next_check_at, verified_at, created_at)
             VALUES ('{id}', '{tenant}', '{host}', '{state}', 'token-{id}', false, 0, {at}, {at}, {at})"
        )
    };
    for sql in [
        format!(
            "INSERT INTO tenants (id, slug, name, state, placement, created_at, updated_at)
             VALUES ('{tenant}', 'acme', 'Acme', 'active', 'pool', {at}, {at})"
        ),
        format!(
            "INSERT INTO tenant_branding (tenant, display_name, primary_color, accent_color, updated_at)
             VALUES ('{tenant}', 'Acme Branded', '#112233', '#445566', {at})"
        ),
        domain(
            "0190f5c2-0000-7000-8000-000000000002",
            "app.acme.test",
            "verified",
        ),
        domain(
            "0190f5c2-0000-7000-8000-000000000003",
            "new.acme.test",
            "pending",
        ),
        format!(
            "INSERT INTO entitlement_overrides (tenant, key, value, reason, created_by, created_at)
             VALUES ('{tenant}', 'seats', '50', 'pilot', 'superadmin:ops@example.test', {at})"
        ),
        format!(
            "INSERT INTO quota_usage (tenant, quota, period, used, notified)
             VALUES ('{tenant}', 'api_requests', '2026-11', 4242, 80)"
        ),
        format!(
            "INSERT INTO billing_accounts (id, tenant, customer, status, past_due_since,
                 suspended_for_billing, stripe_customer_id, updated_at)
             VALUES ('{account}', '{tenant}', 'tenant', 'past_due', {at}, false, 'cus_acme', {at})"
        ),
        format!(
            "INSERT INTO credit_grants (id, account, tenant, amount, remaining, currency, reason,
                 created_by, created_at)
             VALUES ('0190f5c2-0000-7000-8000-000000000005', '{account}', '{tenant}', 500, 200,
                 'usd', 'welcome', 'superadmin:ops@example.test', {at})"
        ),
        format!(
            "INSERT INTO invoices (id, account, tenant, number, period, period_start, period_end,
                 currency, subtotal, credits_applied, total, lines, status, created_at)
             VALUES ('0190f5c2-0000-7000-8000-000000000006', '{account}', '{tenant}',
                 '2026-10-ACME', '2026-10', {at}, {at}, 'usd', 5000, 300, 4700, '[]', 'open', {at})"
        ),
    ] {
        db.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tenantry_migrations::CatalogMigrator::up(db, None)
        .await
        .expect("m0019");

    let one = |sql: String| one_row(db, sql);
    let n = |sql: String| number(db, sql);
    let brand = one(format!(
        "SELECT count(*) AS n, min(display_name) AS name FROM {legacy}tenant_branding"
    ))
    .await;
    assert_eq!(brand.try_get::<i64>("", "n").expect("n"), 1);
    assert_eq!(
        brand.try_get::<String>("", "name").expect("name"),
        "Acme Branded"
    );
    assert_eq!(
        n(format!("SELECT count(*) AS n FROM {legacy}tenant_domains")).await,
        2
    );
    let kept = one(format!(
        "SELECT count(*) AS n, min(reason) AS reason FROM {legacy}entitlement_overrides"
    ))
    .await;
    assert_eq!(kept.try_get::<i64>("", "n").expect("n"), 1);
    assert_eq!(
        kept.try_get::<String>("", "reason").expect("reason"),
        "pilot"
    );
    assert_eq!(
        n(format!("SELECT max(used) AS n FROM {legacy}quota_usage")).await,
        4242
    );
    for table in ["billing_accounts", "credit_grants", "invoices"] {
        assert_eq!(
            n(format!("SELECT count(*) AS n FROM {legacy}{table}")).await,
            1,
            "{table}"
        );
    }
    let customer =
        one("SELECT count(*) AS n, min(customer) AS c FROM stripe_customers".into()).await;
    assert_eq!(customer.try_get::<i64>("", "n").expect("n"), 1);
    assert_eq!(customer.try_get::<String>("", "c").expect("c"), "cus_acme");
    for queue in ["billing", "invoices"] {
        assert_eq!(
            n(format!(
                "SELECT count(*) AS n FROM work_due WHERE queue = '{queue}'"
            ))
            .await,
            1,
            "the tenant is noted for the {queue} loop"
        );
    }
    let host = one("SELECT count(*) AS n, min(hostname) AS host FROM verified_hosts".into()).await;
    assert_eq!(host.try_get::<i64>("", "n").expect("n"), 1, "verified only");
    assert_eq!(
        host.try_get::<String>("", "host").expect("host"),
        "app.acme.test"
    );
    assert_eq!(
        n("SELECT count(*) AS n FROM work_due WHERE queue = 'domains'".into()).await,
        1,
        "the tenant is noted for the re-check loop"
    );
    let catalog_tables = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'
             AND tablename IN ('tenant_branding', 'tenant_domains', 'entitlement_overrides',
                 'quota_usage', 'billing_accounts', 'credit_grants', 'invoices')"
        }
        _ => {
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'
             AND name IN ('tenant_branding', 'tenant_domains', 'entitlement_overrides',
                 'quota_usage', 'billing_accounts', 'credit_grants', 'invoices')"
        }
    };
    assert_eq!(
        n(catalog_tables.into()).await,
        0,
        "the catalog tables are gone"
    );
}

#[tokio::test]
async fn on_sqlite_m0019_sets_the_tenants_records_aside_and_keeps_the_verified_hosts() {
    on_a_fresh_sqlite_catalog(m0019_sets_the_tenants_records_aside_and_keeps_the_verified_hosts)
        .await;
}

#[tokio::test]
async fn on_postgres_m0019_sets_the_tenants_records_aside_and_keeps_the_verified_hosts() {
    on_a_fresh_postgres_catalog(m0019_sets_the_tenants_records_aside_and_keeps_the_verified_hosts)
        .await;
}
