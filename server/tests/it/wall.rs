//! The wall, checked from the database's own catalog: every table that has a
//! tenant column, in every schema and database of a mixed-placement fleet,
//! is enumerated from `pg_class` / `sqlite_master` (so a new table cannot
//! escape), given rows of other tenants, and then read and written as the
//! runtime role bound to one tenant, and with no binding at all.
//!
//! About 470 lines, one scenario per test: the wall: every tenant-plane table
//! probed from another tenant, in every placement.

use crate::harness::{pg_url, TestApp};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use tenantry::tenancy::audit::{BOOKKEEPING, PLATFORM_SCOPED};
use tenantry::tenancy::{Placement, TenantCtx, TenantDb, TenantId};

/// A table with a tenant column, as the database lists it.
#[derive(Debug, Clone)]
struct Walled {
    schema: String,
    name: String,
    /// `tenant_id` (tenant plane) or `tenant` (catalog).
    column: String,
}

impl Walled {
    fn qualified(&self) -> String {
        format!("\"{}\".\"{}\"", self.schema, self.name)
    }
}

const LIST: &str =
    "SELECT n.nspname::text AS schema, c.relname::text AS name, a.attname::text AS col
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p') AND a.attname IN ('tenant_id', 'tenant')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname, 3) <> 'pg_'
    ORDER BY 1, 2";

async fn tables(conn: &impl ConnectionTrait) -> Vec<Walled> {
    conn.query_all_raw(Statement::from_string(DbBackend::Postgres, LIST))
        .await
        .expect("list tables")
        .into_iter()
        .map(|r| Walled {
            schema: r.try_get("", "schema").expect("schema"),
            name: r.try_get("", "name").expect("name"),
            column: r.try_get("", "col").expect("col"),
        })
        .collect()
}

/// `INSERT` of one row with a value of the right type in every column and
/// `tenant` in the tenant column.
async fn insert_sql(conn: &impl ConnectionTrait, table: &Walled, tenant: TenantId) -> String {
    let columns = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT column_name::text AS name, data_type::text AS ty FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
            [table.schema.clone().into(), table.name.clone().into()],
        ))
        .await
        .expect("columns");
    let mut names = Vec::new();
    let mut values = Vec::new();
    for c in columns {
        let name: String = c.try_get("", "name").expect("name");
        let ty: String = c.try_get("", "ty").expect("ty");
        let value = match (name == table.column, ty.as_str()) {
            (true, _) => format!("'{}'::uuid", tenant.uuid()),
            (_, "uuid") => "gen_random_uuid()".into(),
            (_, "text" | "character varying") => "'wall-' || gen_random_uuid()".into(),
            (_, "timestamp with time zone" | "timestamp without time zone") => "now()".into(),
            (_, "boolean") => "false".into(),
            (_, "integer" | "bigint" | "smallint" | "numeric" | "double precision") => "1".into(),
            (_, "json" | "jsonb") => "'{}'".into(),
            (_, "date") => "current_date".into(),
            (_, "bytea") => "'\\x00'::bytea".into(),
            (_, other) => panic!("{}: no sample value for type {other}", table.qualified()),
        };
        names.push(format!("\"{name}\""));
        values.push(value);
    }
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.qualified(),
        names.join(", "),
        values.join(", ")
    )
}

async fn count(conn: &impl ConnectionTrait, sql: &str) -> i64 {
    conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("row")
        .try_get("", "n")
        .expect("n")
}

/// Gives `victim` one row in every tenant-plane table of its own placement.
/// Written by the superuser with foreign-key triggers off (`replica`), since
/// generic rows cannot satisfy the keys between tables; the tenant column is
/// the victim's, so the rows are exactly what its own binding could write.
async fn populate(app: &TestApp, victim: &TenantCtx) -> usize {
    let record = victim.tenant();
    let (database, schema) = match record.placement {
        Placement::Schema => (
            app.pg_database.clone().expect("postgres"),
            record.location.clone().expect("schema"),
        ),
        Placement::Database => (record.location.clone().expect("database"), "public".into()),
        Placement::Pool => (app.pg_database.clone().expect("postgres"), "public".into()),
    };
    let (admin, txn) = replica_in(&database).await;
    let own: Vec<Walled> = tables(&txn)
        .await
        .into_iter()
        .filter(|t| t.column == "tenant_id" && t.schema == schema)
        .filter(|t| !BOOKKEEPING.contains(&t.name.as_str()))
        .collect();
    // Its rows in the platform-scoped catalog tables (directory entries,
    // the platform's records about it), whatever its placement.
    if let Some(catalog) = app.pg_database.clone().filter(|c| *c != database) {
        let (admin, replica) = replica_in(&catalog).await;
        populate_platform_scoped(&replica, victim.id()).await;
        replica.commit().await.expect("commit");
        let _ = admin.close().await;
    } else {
        populate_platform_scoped(&txn, victim.id()).await;
    }
    for table in &own {
        let sql = insert_sql(&txn, table, victim.id()).await;
        txn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    txn.commit().await.expect("commit");
    let _ = admin.close().await;
    own.len()
}

/// A superuser transaction in `database` with foreign-key triggers off.
async fn replica_in(database: &str) -> (DatabaseConnection, sea_orm::DatabaseTransaction) {
    let admin = Database::connect(pg_url("postgres", database))
        .await
        .expect("admin connects");
    let txn = sea_orm::TransactionTrait::begin(&admin)
        .await
        .expect("begin");
    txn.execute_unprepared("SET LOCAL session_replication_role = replica")
        .await
        .expect("replica");
    (admin, txn)
}

/// One row naming `tenant` in each platform-scoped table of the catalog.
async fn populate_platform_scoped(admin: &impl ConnectionTrait, tenant: TenantId) {
    for name in PLATFORM_SCOPED {
        let table = Walled {
            schema: "public".into(),
            name: (*name).into(),
            column: "tenant".into(),
        };
        // A table keyed by the tenant alone (its branding) has its row.
        let sql = insert_sql(admin, &table, tenant).await + " ON CONFLICT DO NOTHING";
        admin
            .execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Bound to `viewer`, every table of `conn`'s database shows no other
/// tenant's rows and refuses a row naming `victim`; with no binding, no rows.
async fn check_database(
    label: &str,
    bound: &impl ConnectionTrait,
    viewer: TenantId,
    victim: TenantId,
    unbound: &impl ConnectionTrait,
    fresh: impl AsyncFn() -> TenantDbOrTxn,
) -> usize {
    let mut checked = 0;
    for table in tables(bound).await {
        if BOOKKEEPING.contains(&table.name.as_str()) {
            continue; // read-only to the runtime role; the audit checks that
        }
        let scoped = table.schema == "public" && PLATFORM_SCOPED.contains(&table.name.as_str());
        assert!(
            table.column == "tenant_id" || scoped,
            "{label}: {} has a tenant column and is neither in the tenant plane nor \
             platform-scoped",
            table.qualified()
        );
        let foreign = count(
            bound,
            &format!(
                "SELECT count(*) AS n FROM {} WHERE {} <> '{}'",
                table.qualified(),
                table.column,
                viewer.uuid()
            ),
        )
        .await;
        assert_eq!(
            foreign,
            0,
            "{label}: {} shows another tenant's rows",
            table.qualified()
        );
        let all = count(
            unbound,
            &format!("SELECT count(*) AS n FROM {}", table.qualified()),
        )
        .await;
        assert_eq!(
            all,
            0,
            "{label}: {} shows rows with no tenant bound",
            table.qualified()
        );
        let write = insert_sql(bound, &table, victim).await;
        let attempt = fresh().await;
        let refused = attempt.execute(&write).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("row-level security")),
            "{label}: a row naming another tenant was not refused in {}: {refused:?}",
            table.qualified()
        );
        checked += 1;
    }
    checked
}

/// A transaction bound to the viewer: its own `TenantDb` in the catalog
/// database, a raw runtime-role transaction bound by hand elsewhere.
enum TenantDbOrTxn {
    Db(Box<TenantDb>),
    Raw(sea_orm::DatabaseTransaction),
}

impl TenantDbOrTxn {
    /// Runs `sql`, then ends the transaction without keeping anything.
    async fn execute(self, sql: &str) -> Result<(), String> {
        let done = match self {
            Self::Db(db) => db.execute_unprepared(sql).await,
            Self::Raw(txn) => {
                let done = txn.execute_unprepared(sql).await;
                txn.rollback().await.expect("rollback");
                done
            }
        };
        done.map(|_| ()).map_err(|e| e.to_string())
    }
}

async fn bound_raw(conn: &DatabaseConnection, tenant: TenantId) -> sea_orm::DatabaseTransaction {
    let txn = sea_orm::TransactionTrait::begin(conn).await.expect("begin");
    txn.execute_unprepared(&format!(
        "SELECT set_config('app.tenant_id', '{}', true)",
        tenant.uuid()
    ))
    .await
    .expect("bind");
    txn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_to_one_tenant_no_table_of_any_placement_shows_or_takes_another_tenants_rows() {
    let app = TestApp::postgres_placed(&[
        Placement::Pool,
        Placement::Pool,
        Placement::Schema,
        Placement::Database,
    ])
    .await;
    let viewer = app.tenant("viewer").await;
    let pooled = app.tenant("pooled").await;
    let schema = app.tenant("schemed").await;
    let database = app.tenant("databased").await;
    // Other tenants' rows everywhere: the pool, a tenant schema, a tenant
    // database; the viewer has rows of its own too.
    for victim in [&viewer, &pooled, &schema, &database] {
        let written = populate(&app, victim).await;
        assert!(
            written >= tenantry_migrations::TENANT_TABLES.len(),
            "{} got rows in only {written} tables",
            victim.tenant().slug
        );
    }

    // The catalog database: the pool, the template schema, every tenant schema.
    let unbound = app.engine.platform_tables();
    let bound = viewer.read().await.expect("db");
    let checked = check_database(
        "catalog database",
        &bound,
        viewer.id(),
        pooled.id(),
        unbound,
        async || TenantDbOrTxn::Db(Box::new(viewer.db().await.expect("db"))),
    )
    .await;
    let schemas = 3; // public, the template schema, the tenant's schema
    assert!(
        checked >= schemas * tenantry_migrations::TENANT_TABLES.len(),
        "only {checked} tables checked in the catalog database"
    );
    // The platform path sees every tenant's rows there.
    let platform = app
        .engine
        .platform(tenantry::tenancy::PlatformUse::Directory)
        .await
        .expect("platform");
    for table in PLATFORM_SCOPED {
        let all = count(&platform, &format!("SELECT count(*) AS n FROM {table}")).await;
        assert!(
            all >= 4,
            "the platform scope sees only {all} rows of {table}"
        );
    }
    drop(platform);
    // Rows written through the schema tenant's own binding are not visible
    // to the viewer even when it names the schema.
    let location = schema.tenant().location.clone().expect("schema");
    assert_eq!(
        count(
            &bound,
            &format!("SELECT count(*) AS n FROM \"{location}\".api_keys")
        )
        .await,
        0
    );
    drop(bound);

    // The tenant database and the template database, as the runtime role.
    let tenant_database = database.tenant().location.clone().expect("database");
    let template = app.settings.template_database();
    for name in [tenant_database, template] {
        // Three connections of the runtime role: one bound for the reads, one
        // for each refused write, one never bound.
        let connect = async || {
            Database::connect(pg_url("tenantry_app", &name))
                .await
                .expect("runtime connects")
        };
        let (runtime, writes, unbound) = (connect().await, connect().await, connect().await);
        let bound = bound_raw(&runtime, viewer.id()).await;
        let checked = check_database(
            &name,
            &bound,
            viewer.id(),
            database.id(),
            &unbound,
            async || TenantDbOrTxn::Raw(bound_raw(&writes, viewer.id()).await),
        )
        .await;
        bound.rollback().await.expect("rollback");
        let _ = writes.close().await;
        let _ = unbound.close().await;
        assert!(
            checked >= tenantry_migrations::TENANT_TABLES.len(),
            "{name}: only {checked} tables checked"
        );
        let _ = runtime.close().await;
    }
    // The database tenant's rows are there, seen through its own binding.
    let own = database.read().await.expect("db");
    assert_eq!(count(&own, "SELECT count(*) AS n FROM api_keys").await, 1);
}

/// SQLite: the catalog file holds no tenant-plane table and nothing keyed by
/// `tenant_id`; what it keys by `tenant` is platform-scoped (reached through
/// `PlatformDb` or a tenant's `TenantRecords`).
#[tokio::test]
async fn on_sqlite_the_catalog_file_holds_no_tenant_owned_table() {
    let app = TestApp::sqlite().await;
    app.tenant("alpha").await;
    let catalog = Database::connect(format!(
        "sqlite://{}?mode=ro",
        app.settings.data_dir.join("catalog.db").display()
    ))
    .await
    .expect("catalog");
    let rows = catalog
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT m.name AS name, p.name AS col FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name IN ('tenant_id', 'tenant')",
        ))
        .await
        .expect("tables");
    assert!(!rows.is_empty(), "the catalog keys some tables by tenant");
    for row in rows {
        let name: String = row.try_get("", "name").expect("name");
        let col: String = row.try_get("", "col").expect("col");
        assert_eq!(col, "tenant", "{name} is keyed by tenant_id in the catalog");
        assert!(
            PLATFORM_SCOPED.contains(&name.as_str()),
            "{name} is a tenant-keyed catalog table that is not platform-scoped"
        );
    }
    for table in tenantry_migrations::TENANT_TABLES {
        let found = catalog
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                [(*table).into()],
            ))
            .await
            .expect("lookup");
        assert!(
            found.is_empty(),
            "tenant-plane table {table} is in the catalog file"
        );
    }
    let _ = catalog.close().await;
}

/// The tenant-plane tables of `ctx`'s unit as its database lists them (from
/// `information_schema` / `sqlite_master`, not from the migrations' list),
/// sorted: what an export and a deletion receipt must cover.
pub(crate) async fn plane_tables_of(ctx: &TenantCtx) -> Vec<String> {
    let db = ctx.read().await.expect("db");
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT DISTINCT table_name::text AS name FROM information_schema.columns
             WHERE column_name = 'tenant_id' AND table_schema = current_schema()"
        }
        _ => {
            "SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name = 'tenant_id'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("tables");
    db.commit().await.expect("commit");
    let mut names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "name").expect("name"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "the tenant plane is listed: {names:?}");
    names
}

/// Moves copy the tables the migrations list (`TENANT_TABLES`); the list is
/// the tables each placement's database has, so no table is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tables_a_move_copies_are_every_tenant_table_the_databases_have() {
    let mut listed: Vec<String> = tenantry_migrations::TENANT_TABLES
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    listed.sort();
    let app =
        TestApp::postgres_placed(&[Placement::Pool, Placement::Schema, Placement::Database]).await;
    for slug in ["pooled", "schemed", "databased"] {
        let ctx = app.tenant(slug).await;
        assert_eq!(plane_tables_of(&ctx).await, listed, "{slug}");
    }
    let app = TestApp::sqlite().await;
    let ctx = app.tenant("filed").await;
    assert_eq!(plane_tables_of(&ctx).await, listed, "sqlite");
}
