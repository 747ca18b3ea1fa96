//! The isolation self-audit (`tenantry audit-isolation`, and at start-up on
//! Postgres, which refuses to serve on any finding). It checks the database as
//! it is, not as the migrations meant it to be:
//!
//! - every table with a `tenant_id` column, in every schema (the pool, the
//!   template, each tenant schema), has row-level security ENABLEd and
//!   FORCEd, and a policy for all commands with both USING and WITH CHECK that
//!   reads `app.tenant_id`;
//! - the runtime role is not a superuser, has NOBYPASSRLS, owns no table, is
//!   not a member of an owner role, and has no TRUNCATE on any table.

use super::Engine;
use crate::config::Backend;
use crate::error::Result;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// One problem the audit found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub subject: String,
    pub problem: String,
}

/// Control-plane tables are keyed by `tenant` (not `tenant_id`) on purpose, so
/// every `tenant_id` table is tenant-plane and audited.
pub async fn run(engine: &Engine) -> Result<Vec<Finding>> {
    if engine.backend() != Backend::Postgres {
        return sqlite_checks(engine);
    }
    let db = engine.catalog();
    let mut findings = Vec::new();
    let tables = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT n.nspname::text AS schema, c.relname::text AS name, c.relrowsecurity AS enabled,
                    c.relforcerowsecurity AS forced, pg_get_userbyid(c.relowner)::text AS owner,
                    has_table_privilege(current_user, c.oid, 'TRUNCATE') AS can_truncate,
                    pg_has_role(current_user, c.relowner, 'MEMBER') AS owner_member
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND left(n.nspname, 3) <> 'pg_'
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                           AND a.attname = 'tenant_id' AND NOT a.attisdropped)
             ORDER BY 1, 2",
        ))
        .await?;
    for row in tables {
        let schema: String = row.try_get("", "schema")?;
        let name: String = row.try_get("", "name")?;
        let mut flag = |problem: &str| {
            findings.push(Finding {
                subject: format!("table {schema}.{name}"),
                problem: problem.into(),
            })
        };
        if !row.try_get::<bool>("", "enabled")? {
            flag("row-level security is not enabled");
        }
        if !row.try_get::<bool>("", "forced")? {
            flag("row-level security is not forced (the owner bypasses it)");
        }
        if row.try_get::<bool>("", "can_truncate")? {
            flag("the runtime role can TRUNCATE it (TRUNCATE ignores row-level security)");
        }
        if row.try_get::<bool>("", "owner_member")? {
            flag("the runtime role owns it or is a member of its owner");
        }
        let policies = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT cmd::text AS cmd, qual::text AS using_clause, with_check::text AS check_clause
                 FROM pg_policies WHERE schemaname = $1 AND tablename = $2",
                [schema.clone().into(), name.clone().into()],
            ))
            .await?;
        let complete = policies.iter().any(|p| {
            let cmd: String = p.try_get("", "cmd").unwrap_or_default();
            let using: Option<String> = p.try_get("", "using_clause").unwrap_or(None);
            let check: Option<String> = p.try_get("", "check_clause").unwrap_or(None);
            let binds =
                |c: &Option<String>| c.as_deref().is_some_and(|c| c.contains("app.tenant_id"));
            cmd == "ALL" && binds(&using) && binds(&check)
        });
        if !complete {
            flag("no policy FOR ALL with both USING and WITH CHECK on app.tenant_id");
        }
    }
    let role = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT rolname::text AS name, rolsuper AS superuser, rolbypassrls AS bypass
             FROM pg_roles WHERE rolname = current_user",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("current role not found in pg_roles"))?;
    let role_name: String = role.try_get("", "name")?;
    if role.try_get::<bool>("", "superuser")? {
        findings.push(Finding {
            subject: format!("role {role_name}"),
            problem: "the runtime role is a superuser".into(),
        });
    }
    if role.try_get::<bool>("", "bypass")? {
        findings.push(Finding {
            subject: format!("role {role_name}"),
            problem: "the runtime role has BYPASSRLS".into(),
        });
    }
    Ok(findings)
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
