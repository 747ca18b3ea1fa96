//! The isolation self-audit (`tenantry audit-isolation`, and at start-up on
//! Postgres, which refuses to serve on any finding). It checks the databases
//! as they are, not as the migrations meant them to be, in every database
//! that holds tenant rows: the catalog's (the pool `public`, the template
//! schema, each tenant schema, and any other schema in it), the template
//! database, and each tenant database the catalog places a tenant in.
//!
//! - every table with a tenant column — `tenant_id`, or `tenant` outside the
//!   explicit list [`BOOKKEEPING`] — has row-level
//!   security ENABLEd and FORCEd, and its policies are exactly the tenant
//!   wall: at least one policy that is permissive, FOR ALL, TO PUBLIC, with
//!   USING and WITH CHECK both `<column> = NULLIF(current_setting(
//!   'app.tenant_id', true), '')::uuid`, and no other permissive policy
//!   (permissive policies are OR-ed, so any other one widens the wall;
//!   restrictive ones only narrow it and are tolerated). Expressions are
//!   compared as Postgres prints them (`pg_get_expr`), against a reference
//!   policy the audit creates on a temporary table and rolls back, never by
//!   looking for a substring;
//! - the runtime role (the catalog connection's `current_user`) is not a
//!   superuser, has NOBYPASSRLS, cannot become a role that is either, owns no
//!   table (nor is a member of a table's owner), and cannot TRUNCATE any table;
//! - audit logs (`platform_audit`, and any table whose name ends in
//!   `audit_log`) are append-only to the runtime role: no UPDATE (not even of
//!   one column), DELETE, TRUNCATE or TRIGGER;
//! - tenant-plane bookkeeping keyed by `tenant` ([`BOOKKEEPING`]) is read-only
//!   to the runtime role;
//! - no SECURITY DEFINER function exists outside the system schemas unless it
//!   is on [`SECURITY_DEFINER_ALLOWED`].
//!
//! Findings in the catalog database name objects `schema.name`; in any other
//! database `database.schema.name`.
//!
//! About 575 lines, kept whole: each check is one catalog query and its
//! reading, run in one pass over every database that holds tenant rows; they
//! read best side by side, against the list above.

use super::engine::connect_pool;
use super::{postgres, Engine};
use crate::config::Backend;
use crate::error::Result;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use std::collections::BTreeMap;

/// One problem the audit found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub subject: String,
    pub problem: String,
}

/// Catalog tables keyed by `tenant` (catalog m0016: directory entries and
/// the platform's records about tenants; m0017: the tenants' own records
/// that stay in the catalog): behind the wall, with one more permissive policy allowed, the
/// platform scope (FOR ALL TO the platform role, `true`), which only
/// `PlatformDb` reaches.
pub const PLATFORM_SCOPED: &[&str] = tenantry_migrations::PLATFORM_SCOPED;

/// Tenant-plane tables keyed by `tenant` that are outside the wall **by
/// design**, in every unit (pool, template schema, tenant schemas, template
/// and tenant databases): bookkeeping about tenants, read before any tenant is
/// bound. Instead of the wall, the audit requires them to be read-only to the
/// runtime role (no INSERT, UPDATE, DELETE or TRUNCATE).
pub const BOOKKEEPING: &[&str] = &[
    // tenant_plane::m0002_placement_fences: a moved tenant's fence.
    "tenant_fences",
];

/// SECURITY DEFINER functions (by name, in any non-system schema) the
/// migrations create on purpose. None today: a function that runs with its
/// owner's rights runs as the table owner, which a tenant must never reach.
pub const SECURITY_DEFINER_ALLOWED: &[&str] = &[];

/// Whether a table is an audit log, append-only to the runtime role.
pub fn is_audit_log(table: &str) -> bool {
    table == "platform_audit" || table.ends_with("audit_log")
}

/// The right-hand side of the wall's predicate, as the migrations write it
/// (`tenant_plane::m0001_identity_and_projects::rls_statements`).
const TENANT_PREDICATE: &str = "NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/// The columns that make a table tenant-keyed; `tenant_id` wins when a table
/// has both.
const KEY_COLUMNS: [&str; 2] = ["tenant_id", "tenant"];

pub async fn run(engine: &Engine) -> Result<Vec<Finding>> {
    if engine.backend() != Backend::Postgres {
        return sqlite_checks(engine);
    }
    let db = engine.catalog();
    let mut findings = Vec::new();
    let runtime_role = role_checks(db, &mut findings).await?;
    let reference = Reference::ask(engine).await?;
    let catalog = Scope {
        database: None,
        runtime_role: &runtime_role,
        reference: &reference,
    };
    audit_database(db, &catalog, &mut findings).await?;
    let settings = engine.settings();
    for database in other_databases(engine).await? {
        let url = settings.runtime_url_for(&database);
        audit_other(db, &url, &database, &catalog, &mut findings).await?;
    }
    // The other clusters: their shared database, their template and their
    // tenant databases, against the home cluster's reference.
    for remote in engine.clusters().remotes() {
        let name = &remote.settings.name;
        let conn = remote.runtime().await?;
        let mut databases = vec![remote.shared_database(), remote.template_database()];
        databases.extend(databases_on(engine, name).await?);
        for database in databases {
            let url = remote.runtime_url_for(&database);
            let subject = format!("{name}:{database}");
            let scope = Scope {
                database: Some(&subject),
                ..catalog
            };
            audit_other(conn, &url, &database, &scope, &mut findings).await?;
        }
    }
    Ok(findings)
}

/// The runtime role's own attributes; returns its name.
async fn role_checks(db: &DatabaseConnection, findings: &mut Vec<Finding>) -> Result<String> {
    let role = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT rolname::text AS name, rolsuper AS superuser, rolbypassrls AS bypass
             FROM pg_roles WHERE rolname = current_user",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("current role not found in pg_roles"))?;
    let role_name: String = role.try_get("", "name")?;
    let mut flag = |problem: String| {
        findings.push(Finding {
            subject: format!("role {role_name}"),
            problem,
        })
    };
    if role.try_get::<bool>("", "superuser")? {
        flag("the runtime role is a superuser".into());
    }
    if role.try_get::<bool>("", "bypass")? {
        flag("the runtime role has BYPASSRLS".into());
    }
    // Attributes are not inherited, but a member can SET ROLE to them.
    let elevated = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT rolname::text AS name FROM pg_roles
             WHERE (rolsuper OR rolbypassrls) AND rolname <> current_user
               AND pg_has_role(current_user, oid, 'MEMBER')
             ORDER BY 1",
        ))
        .await?;
    for row in elevated {
        let other: String = row.try_get("", "name")?;
        flag(format!(
            "the runtime role is a member of {other}, a superuser or BYPASSRLS role"
        ));
    }
    // Policies apply to every role holding their role's privileges: one that
    // inherits the platform role would pass the platform scope unasked.
    let inherits = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = $1
                            AND pg_has_role(current_user, r.oid, 'USAGE')) AS inherits",
            [tenantry_migrations::PLATFORM_ROLE.into()],
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "inherits"))
        .transpose()?
        .unwrap_or(false);
    if inherits {
        flag(format!(
            "the runtime role inherits {} (make it NOINHERIT): every statement would pass the \
             directory's platform policies, bound or not",
            tenantry_migrations::PLATFORM_ROLE
        ));
    }
    Ok(role_name)
}

/// How Postgres prints the wall's USING and WITH CHECK for each key column.
struct Reference {
    /// Key column → (USING, WITH CHECK), as `pg_get_expr` prints them.
    by_column: BTreeMap<String, (String, String)>,
}

impl Reference {
    /// Creates the reference policies on a temporary table in a transaction
    /// that is rolled back, as the runtime role (which owns the temporary
    /// table), or as the owner when the runtime role may not create one.
    async fn ask(engine: &Engine) -> Result<Self> {
        match Self::ask_on(engine.catalog()).await {
            Ok(reference) => Ok(reference),
            Err(e) if engine.settings().owner_database_url.is_some() => {
                tracing::debug!(error = %describe(&e), "reference policy as the runtime role failed; asking as the owner");
                Self::ask_on(engine.owner().await?).await
            }
            Err(e) => Err(e),
        }
    }

    async fn ask_on(db: &DatabaseConnection) -> Result<Self> {
        let txn = db.begin().await?;
        let asked = async {
            txn.execute_unprepared(
                "CREATE TEMPORARY TABLE tenantry_audit_reference (tenant_id uuid, tenant uuid) \
                 ON COMMIT DROP",
            )
            .await?;
            for column in KEY_COLUMNS {
                let predicate = format!("{column} = {TENANT_PREDICATE}");
                txn.execute_unprepared(&format!(
                    "CREATE POLICY {column} ON pg_temp.tenantry_audit_reference FOR ALL \
                     USING ({predicate}) WITH CHECK ({predicate})"
                ))
                .await?;
            }
            let rows = txn
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT polname::text AS col, pg_get_expr(polqual, polrelid) AS using_expr,
                            pg_get_expr(polwithcheck, polrelid) AS check_expr
                     FROM pg_policy
                     WHERE polrelid = 'pg_temp.tenantry_audit_reference'::regclass",
                ))
                .await?;
            let mut by_column = BTreeMap::new();
            for row in rows {
                by_column.insert(
                    row.try_get::<String>("", "col")?,
                    (
                        row.try_get("", "using_expr")?,
                        row.try_get("", "check_expr")?,
                    ),
                );
            }
            Ok::<_, crate::Error>(Self { by_column })
        }
        .await;
        txn.rollback().await?;
        let reference = asked?;
        if KEY_COLUMNS
            .iter()
            .any(|c| !reference.by_column.contains_key(*c))
        {
            return Err(anyhow::anyhow!("the reference policies were not created").into());
        }
        Ok(reference)
    }
}

/// Where the objects being audited live, and what they are measured against.
#[derive(Clone, Copy)]
struct Scope<'a> {
    /// `None` for the catalog database.
    database: Option<&'a str>,
    runtime_role: &'a str,
    reference: &'a Reference,
}

impl Scope<'_> {
    fn subject(&self, kind: &str, schema: &str, name: &str) -> String {
        match self.database {
            None => format!("{kind} {schema}.{name}"),
            Some(db) => format!("{kind} {db}.{schema}.{name}"),
        }
    }

    fn in_catalog(&self) -> bool {
        self.database.is_none()
    }
}

/// The template database and every tenant database the catalog places a
/// tenant in, that exist. (Taken from the catalog rather than by name prefix:
/// a database no tenant points at serves nobody, and other deployments on the
/// same server may share the prefix.)
/// Audits `database` at `url` with a connection of its own; one that
/// cannot be reached is a finding unless it was dropped meanwhile (a purge
/// or a move), as `server` (a connection on its cluster) tells.
async fn audit_other(
    server: &DatabaseConnection,
    url: &str,
    database: &str,
    scope: &Scope<'_>,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let scope = Scope {
        database: Some(scope.database.unwrap_or(database)),
        ..*scope
    };
    let audited = async {
        let conn = connect_pool(url, Backend::Postgres, 1).await?;
        let mut found = Vec::new();
        let result = audit_database(&conn, &scope, &mut found).await;
        // Closed at once: the template cannot be copied while connected.
        let _ = conn.close().await;
        result.map(|()| found)
    }
    .await;
    match audited {
        Ok(found) => findings.extend(found),
        Err(e) => {
            if postgres::database_exists(server, database).await? {
                findings.push(Finding {
                    subject: format!("database {}", scope.database.unwrap_or(database)),
                    problem: format!("could not be audited: {}", describe(&e)),
                });
            }
        }
    }
    Ok(())
}

/// The tenant databases on another cluster, from the catalog.
async fn databases_on(engine: &Engine, cluster: &str) -> Result<Vec<String>> {
    let rows = engine
        .catalog()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT location FROM tenants WHERE placement = 'database' AND cluster = $1 AND location IS NOT NULL",
            [cluster.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String>("", "location")?))
        .collect()
}

async fn other_databases(engine: &Engine) -> Result<Vec<String>> {
    let db = engine.catalog();
    let has_tenants = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT to_regclass('tenants') IS NOT NULL AS present",
        ))
        .await?
        .map(|r| r.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false);
    let placed = if has_tenants {
        "SELECT location FROM tenants WHERE placement = 'database' AND location IS NOT NULL AND cluster IS NULL"
    } else {
        "SELECT NULL::text WHERE false"
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT datname::text AS name FROM pg_database
                 WHERE datname <> current_database()
                   AND (datname = $1 OR datname IN ({placed}))
                 ORDER BY datname <> $1, datname"
            ),
            [engine.settings().template_database().into()],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String>("", "name")?))
        .collect()
}

/// One policy of a table, as `pg_policy` holds it.
struct Policy {
    name: String,
    permissive: bool,
    /// `*` (ALL), `r` (SELECT), `a` (INSERT), `w` (UPDATE), `d` (DELETE).
    cmd: String,
    /// TO PUBLIC.
    public: bool,
    /// The roles it is TO (`public` for PUBLIC).
    roles: Vec<String>,
    using: Option<String>,
    check: Option<String>,
}

impl Policy {
    fn is_wall(&self, reference: &(String, String)) -> bool {
        self.permissive
            && self.cmd == "*"
            && self.public
            && self.using.as_deref() == Some(reference.0.as_str())
            && self.check.as_deref() == Some(reference.1.as_str())
    }

    /// The directory's platform scope: FOR ALL, TO the platform role alone,
    /// USING and WITH CHECK `true`.
    fn is_platform_scope(&self) -> bool {
        self.permissive
            && self.cmd == "*"
            && self.roles == [tenantry_migrations::PLATFORM_ROLE]
            && self.using.as_deref() == Some("true")
            && self.check.as_deref() == Some("true")
    }

    fn describe(&self) -> String {
        let cmd = match self.cmd.as_str() {
            "*" => "ALL",
            "r" => "SELECT",
            "a" => "INSERT",
            "w" => "UPDATE",
            "d" => "DELETE",
            other => other,
        };
        format!(
            "FOR {cmd}{}, USING {}, WITH CHECK {}",
            if self.public { "" } else { " TO some roles" },
            self.using.as_deref().unwrap_or("(none)"),
            self.check.as_deref().unwrap_or("(none)"),
        )
    }
}

/// Audits one database: its tables, their policies, and its SECURITY DEFINER
/// functions.
async fn audit_database<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope<'_>,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let mut policies: BTreeMap<(String, String), Vec<Policy>> = BTreeMap::new();
    for row in conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT n.nspname::text AS schema, c.relname::text AS name, p.polname::text AS policy,
                    p.polpermissive AS permissive, p.polcmd::text AS cmd,
                    p.polroles = '{0}'::oid[] AS public,
                    ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END
                          FROM unnest(p.polroles) r ORDER BY 1) AS roles,
                    pg_get_expr(p.polqual, p.polrelid) AS using_expr,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
             FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             ORDER BY 1, 2, 3",
        ))
        .await?
    {
        policies
            .entry((row.try_get("", "schema")?, row.try_get("", "name")?))
            .or_default()
            .push(Policy {
                name: row.try_get("", "policy")?,
                permissive: row.try_get("", "permissive")?,
                cmd: row.try_get("", "cmd")?,
                public: row.try_get("", "public")?,
                roles: row.try_get("", "roles")?,
                using: row.try_get("", "using_expr")?,
                check: row.try_get("", "check_expr")?,
            });
    }
    let relations = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT n.nspname::text AS schema, c.relname::text AS name,
                    c.relkind IN ('r', 'p') AS is_table,
                    c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
                    (SELECT a.attname::text FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attname IN ('tenant_id', 'tenant')
                       AND a.attnum > 0 AND NOT a.attisdropped
                     ORDER BY a.attname = 'tenant_id' DESC LIMIT 1) AS key_column,
                    bool_or(pg_has_role(r.name, c.relowner, 'MEMBER')) AS owner_member,
                    bool_or(has_table_privilege(r.name, c.oid, 'TRUNCATE')) AS can_truncate,
                    bool_or(has_any_column_privilege(r.name, c.oid, 'INSERT')) AS can_insert,
                    bool_or(has_any_column_privilege(r.name, c.oid, 'UPDATE')) AS can_update,
                    bool_or(has_table_privilege(r.name, c.oid, 'DELETE')) AS can_delete,
                    bool_or(has_table_privilege(r.name, c.oid, 'TRIGGER')) AS can_trigger
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             -- The runtime role and the platform role it may become.
             CROSS JOIN (SELECT rolname AS name FROM pg_roles WHERE rolname IN ($1, $2)) r
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
               AND n.nspname <> 'information_schema' AND left(n.nspname, 3) <> 'pg_'
             GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity,
                      c.relforcerowsecurity
             ORDER BY 1, 2",
            [
                scope.runtime_role.into(),
                tenantry_migrations::PLATFORM_ROLE.into(),
            ],
        ))
        .await?;
    for row in relations {
        let schema: String = row.try_get("", "schema")?;
        let name: String = row.try_get("", "name")?;
        let is_table: bool = row.try_get("", "is_table")?;
        let key: Option<String> = row.try_get("", "key_column")?;
        let privilege = |p: &str| row.try_get::<bool>("", p);
        let mut problems: Vec<String> = Vec::new();

        if privilege("owner_member")? {
            problems.push("the runtime role owns it or is a member of its owner".into());
        }
        if privilege("can_truncate")? {
            problems.push(
                "the runtime role can TRUNCATE it (TRUNCATE ignores row-level security)".into(),
            );
        }
        if is_audit_log(&name) {
            for (column, verb) in [
                ("can_update", "UPDATE"),
                ("can_delete", "DELETE"),
                ("can_trigger", "TRIGGER"),
            ] {
                if privilege(column)? {
                    problems.push(format!(
                        "an audit log, but the runtime role has {verb} on it (it may only SELECT and INSERT)"
                    ));
                }
            }
        }

        let tenant_keyed = key.as_deref().filter(|_| is_table);
        let bookkeeping = tenant_keyed == Some("tenant") && BOOKKEEPING.contains(&name.as_str());
        if bookkeeping {
            for (column, verb) in [
                ("can_insert", "INSERT"),
                ("can_update", "UPDATE"),
                ("can_delete", "DELETE"),
            ] {
                if privilege(column)? {
                    problems.push(format!(
                        "tenant bookkeeping outside the wall, but the runtime role has {verb} on it (it may only read it)"
                    ));
                }
            }
        } else if let Some(column) = tenant_keyed {
            if !privilege("enabled")? {
                problems.push("row-level security is not enabled".into());
            }
            if !privilege("forced")? {
                problems.push("row-level security is not forced (the owner bypasses it)".into());
            }
            let reference = scope
                .reference
                .by_column
                .get(column)
                .ok_or_else(|| anyhow::anyhow!("no reference policy for column {column}"))?;
            let present = policies
                .get(&(schema.clone(), name.clone()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            if !present.iter().any(|p| p.is_wall(reference)) {
                problems.push(format!(
                    "no policy FOR ALL with both USING and WITH CHECK on app.tenant_id: the wall \
                     is a permissive policy FOR ALL TO PUBLIC whose USING and WITH CHECK are both \
                     {}",
                    reference.0
                ));
            }
            // These tables may also let the platform scope through.
            let platform_scoped = column == "tenant"
                && scope.in_catalog()
                && schema == "public"
                && PLATFORM_SCOPED.contains(&name.as_str());
            for p in present.iter().filter(|p| {
                p.permissive && !p.is_wall(reference) && !(platform_scoped && p.is_platform_scope())
            }) {
                problems.push(format!(
                    "permissive policy {} is not the tenant wall ({}); permissive policies are \
                     OR-ed, so it widens what a tenant can read or write",
                    p.name,
                    p.describe()
                ));
            }
        }
        findings.extend(problems.into_iter().map(|problem| Finding {
            subject: scope.subject("table", &schema, &name),
            problem,
        }));
    }

    let definers = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT n.nspname::text AS schema, p.proname::text AS name,
                    pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE p.prosecdef
               AND n.nspname <> 'information_schema' AND left(n.nspname, 3) <> 'pg_'
             ORDER BY 1, 2, 3",
        ))
        .await?;
    for row in definers {
        let schema: String = row.try_get("", "schema")?;
        let name: String = row.try_get("", "name")?;
        let args: String = row.try_get("", "args")?;
        if SECURITY_DEFINER_ALLOWED.contains(&name.as_str()) {
            continue;
        }
        findings.push(Finding {
            subject: scope.subject("function", &schema, &format!("{name}({args})")),
            problem: "SECURITY DEFINER and not on the allowlist: it runs with its owner's rights, \
                      past row-level security"
                .into(),
        });
    }
    Ok(())
}

fn describe(e: &crate::Error) -> String {
    match e {
        crate::Error::Unexpected(cause) => format!("{cause:#}"),
        other => other.to_string(),
    }
}

/// On SQLite each tenant has its own file; the audit checks that the files
/// directory is not shared with the catalog.
fn sqlite_checks(engine: &Engine) -> Result<Vec<Finding>> {
    let settings = engine.settings();
    let mut findings = Vec::new();
    if settings.tenant_files_dir() == settings.data_dir {
        findings.push(Finding {
            subject: "data_dir".into(),
            problem: "tenant files share the catalog's directory".into(),
        });
    }
    Ok(findings)
}
