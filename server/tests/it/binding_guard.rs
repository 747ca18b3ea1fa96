//! A tenant transaction cannot change, reset or end its own binding: the
//! statements that would are refused before they reach the database, and the
//! transaction goes on bound to its tenant.

use crate::harness::TestApp;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, JsonValue, Statement};
use tenantry::product::projects;
use tenantry::tenancy::{TenantCtx, TenantDb};

crate::on_both_backends!(a_tenant_transaction_cannot_change_its_binding);

/// Statements refused on both backends (SQLite has none of these settings,
/// but the guard refuses them alike).
fn attacks(b: &str) -> Vec<String> {
    vec![
        format!("SELECT set_config('app.tenant_id', '{b}', true)"),
        format!("select PG_CATALOG.\"set_config\"('app.tenant_id', '{b}', false) AS x"),
        format!("SET LOCAL app.tenant_id = '{b}'"),
        format!("/* quiet */ set\tapp.tenant_id TO '{b}'"),
        "RESET app.tenant_id".to_owned(),
        "SET search_path = public, pg_catalog".to_owned(),
        "SET ROLE tenantry_owner".to_owned(),
        "COMMIT; SELECT count(*) AS n FROM users".to_owned(),
        format!("SELECT 1; SET LOCAL app.tenant_id = '{b}'"),
        "ROLLBACK".to_owned(),
        "SAVEPOINT s".to_owned(),
    ]
}

fn postgres_attacks(b: &str) -> Vec<String> {
    vec![
        format!("SELECT public.tenantry_enter('{b}'::uuid, 'public', true)"),
        format!("UPDATE pg_settings SET setting = '{b}' WHERE name = 'app.tenant_id'"),
        format!("DO $$ BEGIN PERFORM set_config('app.tenant_id', '{b}', true); END $$"),
        format!(
            "SELECT query_to_xml('SELECT set_config(''app.tenant_id'', ''{b}'', true)', true, true, '')"
        ),
        "SELECT * INTO TEMP projects FROM projects".to_owned(),
        format!("SELECT E'\\\\'; SET LOCAL app.tenant_id = '{b}'; --'"),
    ]
}

fn sqlite_attacks(b_file: &str) -> Vec<String> {
    vec![
        format!("ATTACH DATABASE '{b_file}' AS b"),
        format!("-- hidden?\nattach '{b_file}' as b"),
        format!("SELECT 1; ATTACH DATABASE '{b_file}' AS b"),
        format!("SELECT $a(') ; ATTACH DATABASE '{b_file}' AS b; --'"),
        "PRAGMA query_only = 0".to_owned(),
        "PRAGMA journal_mode = DELETE".to_owned(),
        "VACUUM INTO '/tmp/tenantry-guard-copy.db'".to_owned(),
    ]
}

/// `sql` is refused by each of `TenantDb`'s statement paths, with the guard's
/// error (not one from the database).
async fn refused_everywhere(db: &TenantDb, sql: &str) {
    let backend = db.get_database_backend();
    let stmt = || Statement::from_string(backend, sql);
    let outcomes = [
        ("execute_unprepared", db.execute_unprepared(sql).await.err()),
        ("execute_raw", db.execute_raw(stmt()).await.err()),
        ("query_one_raw", db.query_one_raw(stmt()).await.err()),
        ("query_all_raw", db.query_all_raw(stmt()).await.err()),
        (
            "find_by_statement",
            JsonValue::find_by_statement(stmt()).all(db).await.err(),
        ),
    ];
    for (path, err) in outcomes {
        let err = err.unwrap_or_else(|| panic!("{path} ran {sql:?}"));
        assert!(
            matches!(&err, DbErr::Custom(m) if m.starts_with("tenantry: a tenant transaction cannot")),
            "{path} {sql:?}: {err:?}"
        );
    }
}

async fn count(db: &TenantDb, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row")
        .try_get("", "n")
        .expect("n")
}

/// The tenant the transaction is bound to, as Postgres sees it.
async fn bound_tenant(db: &TenantDb) -> String {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT coalesce(current_setting('app.tenant_id', true), '') AS t",
    ))
    .await
    .expect("current_setting")
    .expect("a row")
    .try_get("", "t")
    .expect("t")
}

async fn project_names(ctx: &TenantCtx) -> Vec<String> {
    let db = ctx.db().await.expect("db");
    let names = projects::list(&db)
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    db.commit().await.expect("commit");
    names
}

async fn a_tenant_transaction_cannot_change_its_binding(app: TestApp) {
    let a = app.tenant("alpha").await;
    let b = app.tenant("bravo").await;
    let db = b.db().await.expect("db");
    projects::create(&b, &db, "Bravo plan")
        .await
        .expect("create");
    db.commit().await.expect("commit");
    let b_id = b.id().to_string();

    let db = a.db().await.expect("db");
    let mut refused = attacks(&b_id);
    if app.is_postgres() {
        assert_eq!(bound_tenant(&db).await, a.id().to_string());
        refused.extend(postgres_attacks(&b_id));
    } else {
        let b_file = app.settings.tenant_files_dir().join(format!("{b_id}.db"));
        assert!(b_file.exists(), "{}", b_file.display());
        refused.extend(sqlite_attacks(&b_file.display().to_string()));
    }
    for sql in &refused {
        refused_everywhere(&db, sql).await;
    }

    // Nothing reached the database: the transaction is still usable, still
    // bound to A, and sees only A's rows.
    assert_eq!(count(&db, "SELECT count(*) AS n FROM users").await, 1);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM projects").await, 0);
    if app.is_postgres() {
        assert_eq!(bound_tenant(&db).await, a.id().to_string());
        db.execute_unprepared("SET CONSTRAINTS ALL DEFERRED")
            .await
            .expect("SET CONSTRAINTS is allowed");
    } else {
        let attached = count(
            &db,
            "SELECT count(*) AS n FROM pragma_database_list WHERE name NOT IN ('main', 'temp')",
        )
        .await;
        assert_eq!(attached, 0, "no other file attached");
        let columns = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA table_info(projects)",
            ))
            .await
            .expect("a read-only pragma is allowed");
        assert!(!columns.is_empty());
    }
    // Text that only looks like an attack is data.
    let text: String = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT 'set_config(''app.tenant_id''); SET search_path = x; ATTACH' AS s",
        ))
        .await
        .expect("a literal is allowed")
        .expect("a row")
        .try_get("", "s")
        .expect("s");
    assert_eq!(
        text,
        "set_config('app.tenant_id'); SET search_path = x; ATTACH"
    );
    projects::create(&a, &db, "Alpha plan")
        .await
        .expect("the transaction still writes");
    db.commit().await.expect("commit");

    assert_eq!(project_names(&a).await, ["Alpha plan"]);
    assert_eq!(project_names(&b).await, ["Bravo plan"], "B is unchanged");
    let db = b.db().await.expect("db");
    assert_eq!(count(&db, "SELECT count(*) AS n FROM users").await, 1);
    if app.is_postgres() {
        assert_eq!(bound_tenant(&db).await, b_id);
    }
    db.commit().await.expect("commit");
}

/// The platform path cannot be left or turned into a tenant's binding from
/// inside either: it stays the platform role to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_scope_cannot_be_left_from_inside() {
    let app = TestApp::postgres().await;
    let b = app.tenant("bravo").await.id().uuid().to_string();
    let db = app
        .engine
        .platform(tenantry::tenancy::PlatformUse::Console)
        .await
        .expect("platform");
    let current = async || -> String {
        db.query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT current_user::text AS r",
        ))
        .await
        .expect("current_user")
        .expect("row")
        .try_get("", "r")
        .expect("r")
    };
    assert_eq!(current().await, "tenantry_platform");
    for sql in attacks(&b).into_iter().chain([
        "RESET ROLE".to_owned(),
        "SET ROLE tenantry_app".to_owned(),
        "SET SESSION AUTHORIZATION DEFAULT".to_owned(),
    ]) {
        let refused = db.execute_unprepared(&sql).await;
        assert!(refused.is_err(), "{sql} was let through");
        assert_eq!(current().await, "tenantry_platform", "after {sql}");
    }
    db.commit().await.expect("commit");
}
