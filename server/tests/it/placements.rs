//! The three Postgres placements side by side: the walls of the schema and
//! database placements, attacks across every pair of placements, and the
//! bounded per-tenant pools.

use crate::attack;
use crate::harness::{pg_url, TestApp};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tenantry::product::projects;
use tenantry::tenancy::{Placement, TenantRecord};
use tenantry_migrations::sea_orm_migration::MigratorTrait;

/// A number from the server, asked as the superuser.
pub async fn pg_number(sql: &str) -> i64 {
    pg_number_in("postgres", sql).await
}

/// Whether a tenant's own schema or database still exists.
pub async fn storage_exists(app: &TestApp, tenant: &TenantRecord) -> bool {
    let location = tenant.location.clone().expect("a location");
    let catalog = app.pg_database.as_deref().expect("postgres");
    match tenant.placement {
        Placement::Schema => {
            let sql =
                format!("SELECT count(*)::bigint FROM pg_namespace WHERE nspname = '{location}'");
            pg_number_in(catalog, &sql).await == 1
        }
        Placement::Database => {
            let sql =
                format!("SELECT count(*)::bigint FROM pg_database WHERE datname = '{location}'");
            pg_number(&sql).await == 1
        }
        Placement::Pool => true,
    }
}

const PLACEMENTS: [Placement; 3] = [Placement::Pool, Placement::Schema, Placement::Database];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_from_every_placement_on_every_other_placement_are_refused() {
    for attacker in PLACEMENTS {
        for victim in PLACEMENTS.into_iter().filter(|p| *p != attacker) {
            // The attack scenarios create the attacker (alpha), then the victim.
            let app = TestApp::postgres_placed(&[attacker, victim]).await;
            attack::every_api_route_aimed_at_tenant_b_ids_is_404_and_leaves_b_unchanged(app).await;
            let app = TestApp::postgres_placed(&[attacker, victim]).await;
            attack::every_server_function_aimed_at_tenant_b_leaks_nothing_and_leaves_b_unchanged(
                app,
            )
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_and_database_tenants_get_storage_of_their_own_from_the_templates() {
    let app = TestApp::postgres_placed(&PLACEMENTS).await;
    let pool = app.tenant("pooled").await;
    let schema = app.tenant("schemed").await;
    let database = app.tenant("databased").await;
    assert_eq!(pool.tenant().placement, Placement::Pool);
    assert_eq!(pool.tenant().location, None);
    let schema_name = schema.tenant().location.clone().expect("schema name");
    assert_eq!(schema_name, format!("t_{}", schema.id().uuid().simple()));
    let db_name = database.tenant().location.clone().expect("database name");
    assert!(db_name.starts_with(crate::harness::TENANT_DB_PREFIX));
    assert!(storage_exists(&app, schema.tenant()).await);
    assert!(storage_exists(&app, database.tenant()).await);

    // Each tenant's rows are where its placement says, and nowhere else
    // (counted as the superuser, who is not subject to row-level security).
    for ctx in [&pool, &schema, &database] {
        let db = ctx.db().await.expect("db");
        projects::create(ctx, &db, &format!("{} plan", ctx.tenant().slug))
            .await
            .expect("create");
        db.commit().await.expect("commit");
    }
    let catalog = app.pg_database.clone().expect("postgres");
    let count = "SELECT count(*)::bigint FROM projects";
    assert_eq!(
        pg_number_in(&catalog, "SELECT count(*)::bigint FROM public.projects").await,
        1
    );
    let in_schema = format!("SELECT count(*)::bigint FROM {schema_name}.projects");
    assert_eq!(pg_number_in(&catalog, &in_schema).await, 1);
    assert_eq!(pg_number_in(&db_name, count).await, 1);

    // The migration history came along with the template.
    let history = format!("SELECT count(*)::bigint FROM {schema_name}.tenant_migrations");
    let expected = tenantry_migrations::TenantMigrator::migrations().len() as i64;
    assert_eq!(pg_number_in(&catalog, &history).await, expected);
    assert_eq!(
        pg_number_in(&db_name, "SELECT count(*)::bigint FROM tenant_migrations").await,
        expected
    );

    // The self-audit covers tenant schemas: clean as cloned, and it notices a
    // schema whose wall was taken down.
    let findings = tenantry::tenancy::audit::run(&app.engine)
        .await
        .expect("audit");
    assert!(findings.is_empty(), "{findings:?}");
    crate::harness::pg_admin_in(
        &catalog,
        &format!("ALTER TABLE {schema_name}.projects NO FORCE ROW LEVEL SECURITY"),
    )
    .await;
    let findings = tenantry::tenancy::audit::run(&app.engine)
        .await
        .expect("audit");
    assert!(
        findings
            .iter()
            .any(|f| f.subject == format!("table {schema_name}.projects")),
        "{findings:?}"
    );
}

/// A number from the server, asked as the superuser in one database.
pub async fn pg_number_in(database: &str, sql: &str) -> i64 {
    let url = pg_url("postgres", database);
    let db = sea_orm::Database::connect(url).await.expect("admin");
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    let n: i64 = row.try_get_by_index(0).expect("bigint");
    let _ = db.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_path_and_row_level_security_are_two_walls_around_a_schema_tenant() {
    let app = TestApp::postgres_placed(&[Placement::Schema, Placement::Pool]).await;
    let schema = app.tenant("schemed").await;
    let pooled = app.tenant("pooled").await;
    let db = schema.db().await.expect("db");
    projects::create(&schema, &db, "schemed secret")
        .await
        .expect("create");
    db.commit().await.expect("commit");
    let schema_name = schema.tenant().location.clone().expect("schema");

    // As the runtime role, by hand, the way a bug would.
    let catalog = app.pg_database.clone().expect("postgres");
    let runtime = sea_orm::Database::connect(pg_url("tenantry_app", &catalog))
        .await
        .expect("runtime connects");
    let try_sql = |tenant: uuid::Uuid, schema: String, sql: &'static str| {
        let runtime = runtime.clone();
        async move {
            use sea_orm::TransactionTrait;
            let txn = runtime.begin().await.expect("begin");
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT public.tenantry_enter($1, $2, false)",
                [tenant.into(), schema.into()],
            ))
            .await
            .expect("enter");
            txn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .map(|row| row.map(|r| r.try_get_by_index::<i64>(0).expect("n")))
        }
    };
    // Wall 1: inside a schema tenant the catalog and the pool are not on the path.
    let err = try_sql(
        schema.id().uuid(),
        schema_name.clone(),
        "SELECT count(*)::bigint FROM tenants",
    )
    .await
    .expect_err("catalog invisible");
    assert!(err.to_string().contains("does not exist"), "{err}");
    // Wall 2: another tenant pointed at this schema sees none of its rows.
    let seen = try_sql(
        pooled.id().uuid(),
        schema_name.clone(),
        "SELECT count(*)::bigint FROM projects",
    )
    .await
    .expect("query runs");
    assert_eq!(seen, Some(0));
    // And the owner of the rows does see them.
    let own = try_sql(
        schema.id().uuid(),
        schema_name,
        "SELECT count(*)::bigint FROM projects",
    )
    .await
    .expect("query runs");
    assert_eq!(own, Some(1));
    let _ = runtime.close().await;
}

/// Connections the server lists. A backend whose client has just closed may
/// still be listed for a moment while it exits, so a count over the bound is
/// taken again after a short pause before it counts.
async fn open_connections(sql: &str) -> i64 {
    let mut n = pg_number(sql).await;
    for _ in 0..5 {
        if n <= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        n = pg_number(sql).await;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_many_database_tenants_waits_for_connections_and_never_exceeds_the_bound() {
    let app = TestApp::postgres_with(&[
        ("tenant_connections", "2"),
        ("tenant_database_pool_size", "1"),
        ("max_tenant_pools", "2"),
    ])
    .await;
    app.placements_cycle(&[Placement::Database]);
    let mut tenants = Vec::new();
    for i in 0..5 {
        tenants.push(app.tenant(&format!("burst{i}")).await);
    }
    // This test's tenant databases only: other tests run alongside.
    let names: Vec<String> = tenants
        .iter()
        .map(|t| format!("'{}'", t.tenant().location.clone().expect("database")))
        .collect();
    let connections = format!(
        "SELECT count(*)::bigint FROM pg_stat_activity
         WHERE datname IN ({}) AND usename = 'tenantry_app'",
        names.join(", ")
    );
    let mut burst = tokio::task::JoinSet::new();
    for round in 0..6 {
        for ctx in &tenants {
            let ctx = ctx.clone();
            burst.spawn(async move {
                let db = ctx.read().await?;
                let n = projects::list(&db).await?.len();
                // Hold the connection a moment, so the burst overlaps.
                tokio::time::sleep(std::time::Duration::from_millis(5 * (round % 3))).await;
                db.commit().await?;
                Ok::<_, tenantry::Error>(n)
            });
        }
    }
    let mut peak = 0;
    while let Some(done) = burst.join_next().await {
        assert_eq!(done.expect("task").expect("every read succeeds"), 0);
        assert!(app.engine.reserved_tenant_connections() <= 2);
        peak = peak.max(open_connections(&connections).await);
    }
    assert!(peak <= 2, "{peak} connections to tenant databases");
    assert!(app.engine.open_tenant_pools().await <= 2);
    // Health check: idle pools all answer; a pool whose database went away
    // is closed (the next request would reopen it, or fail clearly).
    assert_eq!(app.engine.check_tenant_pools().await, 0);
    let db = tenants[0].read().await.expect("read");
    db.commit().await.expect("commit");
    let gone = tenants[0].tenant().location.clone().expect("database");
    crate::harness::pg_admin(&format!("DROP DATABASE {gone} WITH (FORCE)")).await;
    assert_eq!(app.engine.check_tenant_pools().await, 1);
}
