//! The isolation self-audit against planted faults: each test takes down one
//! part of the wall, as the owner role, in the test's own databases, and
//! expects the audit to name it.
//!
//! About 460 lines, one scenario per test: the isolation self-audit, one
//! planted fault per check.

use crate::harness::{pg_admin_in, pg_url, TestApp};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use tenantry::tenancy::audit::{self, Finding};
use tenantry::tenancy::Placement;

const PREDICATE: &str = "NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/// The owner role's connection to one of the test's databases.
async fn owner_in(database: &str) -> DatabaseConnection {
    Database::connect(pg_url("tenantry_owner", database))
        .await
        .expect("owner connects")
}

async fn exec(conn: &DatabaseConnection, sql: &str) {
    conn.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn findings(app: &TestApp) -> Vec<Finding> {
    audit::run(&app.engine).await.expect("audit runs")
}

/// The problems reported for exactly `subject`.
fn problems(findings: &[Finding], subject: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.subject == subject)
        .map(|f| f.problem.clone())
        .collect()
}

fn catalog_name(app: &TestApp) -> String {
    app.pg_database.clone().expect("postgres")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_is_clean_on_a_freshly_migrated_mixed_fleet() {
    let app = TestApp::postgres_mixed().await;
    let schema = app.tenant("schemed").await;
    let database = app.tenant("databased").await;
    let pool = app.tenant("pooled").await;
    assert_eq!(schema.tenant().placement, Placement::Schema);
    assert_eq!(database.tenant().placement, Placement::Database);
    assert_eq!(pool.tenant().placement, Placement::Pool);
    let found = findings(&app).await;
    assert!(found.is_empty(), "{found:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extra_permissive_policy_that_opens_a_table_is_a_finding() {
    let app = TestApp::postgres().await;
    let owner = owner_in(&catalog_name(&app)).await;
    // The wall is still there; the old substring check was satisfied by it.
    exec(
        &owner,
        "CREATE POLICY open_door ON public.projects AS PERMISSIVE FOR ALL USING (true) WITH CHECK (true)",
    )
    .await;
    let found = problems(&findings(&app).await, "table public.projects");
    assert!(
        found
            .iter()
            .any(|p| p.contains("permissive policy open_door") && p.contains("widens")),
        "{found:?}"
    );

    // A restrictive policy only narrows the wall: tolerated.
    exec(&owner, "DROP POLICY open_door ON public.projects").await;
    exec(
        &owner,
        "CREATE POLICY narrower ON public.projects AS RESTRICTIVE FOR SELECT USING (created_at > '2000-01-01')",
    )
    .await;
    let found = problems(&findings(&app).await, "table public.projects");
    assert!(found.is_empty(), "{found:?}");
    owner.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_for_a_subset_of_commands_is_a_finding() {
    let app = TestApp::postgres().await;
    let owner = owner_in(&catalog_name(&app)).await;
    exec(
        &owner,
        &format!("CREATE POLICY peek ON public.tasks FOR SELECT USING (tenant_id = {PREDICATE})"),
    )
    .await;
    let found = problems(&findings(&app).await, "table public.tasks");
    assert!(
        found
            .iter()
            .any(|p| p.contains("permissive policy peek") && p.contains("FOR SELECT")),
        "{found:?}"
    );
    owner.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wall_whose_using_differs_is_a_finding_even_when_it_mentions_the_setting() {
    let app = TestApp::postgres().await;
    let owner = owner_in(&catalog_name(&app)).await;
    exec(&owner, "DROP POLICY tenant_isolation ON public.users").await;
    exec(
        &owner,
        &format!(
            "CREATE POLICY tenant_isolation ON public.users FOR ALL \
             USING (tenant_id = {PREDICATE} OR current_setting('app.tenant_id', true) = 'any') \
             WITH CHECK (tenant_id = {PREDICATE})"
        ),
    )
    .await;
    let found = problems(&findings(&app).await, "table public.users");
    assert!(found.iter().any(|p| p.contains("no policy")), "{found:?}");
    assert!(
        found
            .iter()
            .any(|p| p.contains("permissive policy tenant_isolation")),
        "{found:?}"
    );

    // The same predicate for one role only is not the wall either.
    exec(&owner, "DROP POLICY tenant_isolation ON public.users").await;
    exec(
        &owner,
        &format!(
            "CREATE POLICY tenant_isolation ON public.users FOR ALL TO tenantry_app \
             USING (tenant_id = {PREDICATE}) WITH CHECK (tenant_id = {PREDICATE})"
        ),
    )
    .await;
    let found = problems(&findings(&app).await, "table public.users");
    assert!(found.iter().any(|p| p.contains("no policy")), "{found:?}");

    // Written differently but meaning the same, Postgres prints it the same.
    exec(&owner, "DROP POLICY tenant_isolation ON public.users").await;
    let same = "tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid";
    exec(
        &owner,
        &format!(
            "CREATE POLICY tenant_isolation ON public.users AS PERMISSIVE FOR ALL TO PUBLIC \
             USING ({same}) WITH CHECK ({same})"
        ),
    )
    .await;
    let found = problems(&findings(&app).await, "table public.users");
    assert!(found.is_empty(), "{found:?}");
    owner.close().await.expect("close");
}

/// The platform scope's policy is allowed on the directory tables only, and
/// only as FOR ALL TO the platform role alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_scope_policy_outside_the_directory_is_a_finding() {
    let app = TestApp::postgres().await;
    let owner = owner_in(&catalog_name(&app)).await;
    assert!(problems(&findings(&app).await, "table public.work_due").is_empty());
    // On a tenant-plane table it opens every tenant's rows to the scope.
    exec(
        &owner,
        "CREATE POLICY platform_scope ON public.users FOR ALL TO tenantry_platform \
         USING (true) WITH CHECK (true)",
    )
    .await;
    let found = problems(&findings(&app).await, "table public.users");
    assert!(
        found
            .iter()
            .any(|p| p.contains("permissive policy platform_scope")),
        "{found:?}"
    );
    // On a directory table, for PUBLIC instead of the platform role.
    exec(&owner, "DROP POLICY platform_scope ON public.work_due").await;
    exec(
        &owner,
        "CREATE POLICY platform_scope ON public.work_due FOR ALL USING (true) WITH CHECK (true)",
    )
    .await;
    let found = problems(&findings(&app).await, "table public.work_due");
    assert!(
        found
            .iter()
            .any(|p| p.contains("permissive policy platform_scope")),
        "{found:?}"
    );
    owner.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_catalog_table_keyed_by_tenant_without_the_wall_is_a_finding() {
    let app = TestApp::postgres().await;
    let owner = owner_in(&catalog_name(&app)).await;
    exec(
        &owner,
        "CREATE TABLE public.tenant_notes (tenant uuid NOT NULL, body text NOT NULL)",
    )
    .await;
    exec(
        &owner,
        "GRANT SELECT, INSERT ON public.tenant_notes TO tenantry_app",
    )
    .await;
    let found = problems(&findings(&app).await, "table public.tenant_notes");
    assert!(found.iter().any(|p| p.contains("not enabled")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("not forced")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("no policy")), "{found:?}");

    // Under the wall (keyed by `tenant`), it is clean.
    exec(
        &owner,
        "ALTER TABLE public.tenant_notes ENABLE ROW LEVEL SECURITY",
    )
    .await;
    exec(
        &owner,
        "ALTER TABLE public.tenant_notes FORCE ROW LEVEL SECURITY",
    )
    .await;
    exec(
        &owner,
        &format!(
            "CREATE POLICY tenant_isolation ON public.tenant_notes FOR ALL \
             USING (tenant = {PREDICATE}) WITH CHECK (tenant = {PREDICATE})"
        ),
    )
    .await;
    let found = problems(&findings(&app).await, "table public.tenant_notes");
    assert!(found.is_empty(), "{found:?}");

    // The allowlist names catalog tables in `public` only: the same name
    // elsewhere is audited.
    exec(&owner, "CREATE SCHEMA side").await;
    exec(
        &owner,
        "CREATE TABLE side.api_keys (tenant uuid NOT NULL, secret text NOT NULL)",
    )
    .await;
    let found = problems(&findings(&app).await, "table side.api_keys");
    assert!(found.iter().any(|p| p.contains("not enabled")), "{found:?}");
    owner.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_without_force_in_a_tenant_database_is_a_finding() {
    let app = TestApp::postgres_placed(&[Placement::Database]).await;
    let ctx = app.tenant("databased").await;
    assert_eq!(ctx.tenant().placement, Placement::Database);
    let database = ctx.tenant().location.clone().expect("database name");
    assert!(findings(&app).await.is_empty());

    let owner = owner_in(&database).await;
    exec(&owner, "ALTER TABLE projects NO FORCE ROW LEVEL SECURITY").await;
    exec(
        &owner,
        "CREATE POLICY open_door ON tasks FOR ALL USING (true) WITH CHECK (true)",
    )
    .await;
    owner.close().await.expect("close");
    let all = findings(&app).await;
    let found = problems(&all, &format!("table {database}.public.projects"));
    assert!(found.iter().any(|p| p.contains("not forced")), "{all:?}");
    let found = problems(&all, &format!("table {database}.public.tasks"));
    assert!(
        found
            .iter()
            .any(|p| p.contains("permissive policy open_door")),
        "{all:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_without_force_in_the_template_database_is_a_finding() {
    let app = TestApp::postgres().await;
    let template = app.settings.template_database();
    let owner = owner_in(&template).await;
    exec(&owner, "ALTER TABLE projects NO FORCE ROW LEVEL SECURITY").await;
    // Closed before the audit: the template must stay copyable.
    owner.close().await.expect("close");
    let all = findings(&app).await;
    let found = problems(&all, &format!("table {template}.public.projects"));
    assert!(found.iter().any(|p| p.contains("not forced")), "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_role_able_to_rewrite_an_audit_log_is_a_finding() {
    let app = TestApp::postgres().await;
    let subject = "table public.platform_audit";
    assert!(
        problems(&findings(&app).await, subject).is_empty(),
        "migrations leave the platform audit append-only"
    );
    let owner = owner_in(&catalog_name(&app)).await;

    exec(
        &owner,
        "GRANT UPDATE ON public.platform_audit TO tenantry_app",
    )
    .await;
    let found = problems(&findings(&app).await, subject);
    assert!(found.iter().any(|p| p.contains("UPDATE")), "{found:?}");

    // One column is enough to rewrite history.
    exec(
        &owner,
        "REVOKE UPDATE ON public.platform_audit FROM tenantry_app",
    )
    .await;
    exec(
        &owner,
        "GRANT UPDATE (detail) ON public.platform_audit TO tenantry_app",
    )
    .await;
    let found = problems(&findings(&app).await, subject);
    assert!(found.iter().any(|p| p.contains("UPDATE")), "{found:?}");

    exec(
        &owner,
        "REVOKE UPDATE ON public.platform_audit FROM tenantry_app",
    )
    .await;
    exec(
        &owner,
        "GRANT DELETE ON public.platform_audit TO tenantry_app",
    )
    .await;
    let found = problems(&findings(&app).await, subject);
    assert!(found.iter().any(|p| p.contains("DELETE")), "{found:?}");
    exec(
        &owner,
        "REVOKE DELETE ON public.platform_audit FROM tenantry_app",
    )
    .await;
    assert!(problems(&findings(&app).await, subject).is_empty());

    // The platform role the runtime role may become is held to the same.
    exec(
        &owner,
        "GRANT DELETE ON public.platform_audit TO tenantry_platform",
    )
    .await;
    let found = problems(&findings(&app).await, subject);
    assert!(found.iter().any(|p| p.contains("DELETE")), "{found:?}");
    exec(
        &owner,
        "REVOKE DELETE ON public.platform_audit FROM tenantry_platform",
    )
    .await;
    assert!(problems(&findings(&app).await, subject).is_empty());

    // Any table named like an audit log is one.
    exec(
        &owner,
        "CREATE TABLE public.billing_audit_log (id bigint NOT NULL, detail text NOT NULL)",
    )
    .await;
    exec(
        &owner,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON public.billing_audit_log TO tenantry_app",
    )
    .await;
    let found = problems(&findings(&app).await, "table public.billing_audit_log");
    assert!(found.iter().any(|p| p.contains("UPDATE")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("DELETE")), "{found:?}");
    owner.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_definer_function_not_on_the_list_is_a_finding() {
    let app = TestApp::postgres().await;
    let owner = owner_in(&catalog_name(&app)).await;
    exec(
        &owner,
        "CREATE FUNCTION public.count_everyone(kind text) RETURNS bigint LANGUAGE sql \
         SECURITY DEFINER AS 'SELECT count(*) FROM public.users'",
    )
    .await;
    let found = problems(
        &findings(&app).await,
        "function public.count_everyone(kind text)",
    );
    assert!(
        found.iter().any(|p| p.contains("SECURITY DEFINER")),
        "{found:?}"
    );
    exec(
        &owner,
        "ALTER FUNCTION public.count_everyone(text) SECURITY INVOKER",
    )
    .await;
    let found = problems(
        &findings(&app).await,
        "function public.count_everyone(kind text)",
    );
    assert!(found.is_empty(), "{found:?}");
    owner.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_role_owning_a_table_is_a_finding() {
    let app = TestApp::postgres().await;
    let catalog = catalog_name(&app);
    pg_admin_in(
        &catalog,
        "CREATE TABLE public.scratch (id int); ALTER TABLE public.scratch OWNER TO tenantry_app",
    )
    .await;
    let found = problems(&findings(&app).await, "table public.scratch");
    assert!(found.iter().any(|p| p.contains("owns it")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("TRUNCATE")), "{found:?}");
}

/// The allowlist is exactly the catalog tables keyed by `tenant` today: when
/// one moves under the wall (or away), this fails until it leaves the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalog_table_keyed_by_tenant_is_behind_the_wall_with_the_platform_scope() {
    let app = TestApp::postgres().await;
    let db = owner_in(&catalog_name(&app)).await;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.table_name::text AS t FROM information_schema.columns c
             JOIN information_schema.tables t USING (table_schema, table_name)
             WHERE c.table_schema = 'public' AND c.column_name = 'tenant'
               AND t.table_type = 'BASE TABLE'
               AND NOT EXISTS (SELECT 1 FROM information_schema.columns k
                               WHERE k.table_schema = c.table_schema
                                 AND k.table_name = c.table_name
                                 AND k.column_name = 'tenant_id')
             ORDER BY 1",
        ))
        .await
        .expect("columns");
    let keyed: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "t").expect("t"))
        .filter(|t| !audit::BOOKKEEPING.contains(&t.as_str()))
        .collect();
    let outside: Vec<&String> = keyed
        .iter()
        .filter(|t| !audit::PLATFORM_SCOPED.contains(&t.as_str()))
        .collect();
    assert!(
        outside.is_empty(),
        "catalog tables keyed by `tenant` outside the platform-scoped wall: {outside:?}"
    );
    let stale: Vec<&&str> = audit::PLATFORM_SCOPED
        .iter()
        .filter(|t| !keyed.iter().any(|k| k == *t))
        .collect();
    assert!(
        stale.is_empty(),
        "PLATFORM_SCOPED names tables with no `tenant` column: {stale:?}"
    );
    db.close().await.expect("close");
}
