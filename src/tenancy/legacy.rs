//! Tenant rows that sat in the catalog before the wall covered them (catalog
//! m0014 sets them aside: the `tenantry_legacy` schema on PostgreSQL,
//! `legacy_<table>` tables on SQLite). The fleet migration, once every unit
//! has the tenant-plane tables, copies each tenant's rows into its own
//! placement — the pool behind its binding, its schema, its database or its
//! file — then drops what was set aside.
//!
//! Resumable: each tenant is copied in one transaction of its unit and then
//! recorded in `copied`; a run that stops resumes after the last recorded
//! tenant, and a row already present is never copied twice. The tenant's own
//! audit entries (the kinds its admins read) are copied from the platform
//! audit into its `audit_log`; the platform audit keeps them too.

use super::engine::connect_pool;
use super::{postgres, sqlite::TenantFiles, Placement, TenantId};
use crate::config::{Backend, Settings};
use crate::entities::catalog::tenant;
use crate::error::Result;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use tenantry_migrations::legacy::{moved, LEGACY_SCHEMA};

/// What a run copied.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LegacyReport {
    /// Tenants whose rows were copied by this run.
    pub tenants: usize,
    /// Rows copied, all tables together.
    pub rows: u64,
}

/// Platform-audit entries a tenant's admins read in its own log.
const TENANT_AUDIT_KINDS: &[&str] = &[
    "impersonation.",
    "support_access.",
    "invitation.",
    "password.",
    "api_key.",
    "sso.",
    "webhook.",
];

/// Copies every tenant's set-aside rows into its placement and drops them.
/// Does nothing when nothing is set aside (the usual case).
pub(super) async fn copy_all(
    settings: &Settings,
    catalog: &DatabaseConnection,
) -> Result<LegacyReport> {
    let mut report = LegacyReport::default();
    let tables = set_aside_tables(catalog).await?;
    if tables.is_empty() {
        return Ok(report);
    }
    let done = copied(catalog).await?;
    for t in tenant::Entity::find().all(catalog).await? {
        if done.contains(&t.id) {
            continue;
        }
        let id = TenantId::from_uuid(t.id);
        let placement = Placement::parse(&t.placement);
        let rows = copy_tenant(
            settings,
            catalog,
            &tables,
            id,
            placement,
            t.location.as_deref(),
        )
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "copying tenant {} ({id}) out of the catalog failed: {e}; nothing of it was \
                     copied. Fix the cause and run `tenantry migrate` again to resume",
                t.slug
            )
        })?;
        exec(
            catalog,
            &format!(
                "INSERT INTO {} (tenant) VALUES ($1)",
                legacy(catalog, "copied")
            ),
            Some(t.id),
        )
        .await?;
        report.tenants += 1;
        report.rows += rows;
        tracing::info!(tenant_id = %id, rows, "tenant rows moved out of the catalog");
    }
    let leftover = drop_set_aside(catalog, &tables).await?;
    if leftover > 0 {
        tracing::warn!(
            rows = leftover,
            "set-aside rows of no tenant (platform mail) were dropped"
        );
    }
    Ok(report)
}

async fn copied(catalog: &DatabaseConnection) -> Result<std::collections::HashSet<uuid::Uuid>> {
    let rows = catalog
        .query_all_raw(Statement::from_string(
            catalog.get_database_backend(),
            format!("SELECT tenant FROM {}", legacy(catalog, "copied")),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<uuid::Uuid>("", "tenant")?))
        .collect()
}

/// The moved tables that a catalog migration set aside since the last copy
/// (none, the usual case: nothing to do).
async fn set_aside_tables(catalog: &DatabaseConnection) -> Result<Vec<&'static str>> {
    let mut present = Vec::new();
    for table in moved() {
        let sql = match catalog.get_database_backend() {
            DbBackend::Postgres => format!(
                "SELECT count(*) AS n FROM pg_tables WHERE schemaname = '{LEGACY_SCHEMA}' AND tablename = '{table}'"
            ),
            _ => format!("SELECT count(*) AS n FROM sqlite_master WHERE name = 'legacy_{table}'"),
        };
        if count(catalog, &sql, None).await? > 0 {
            present.push(table);
        }
    }
    Ok(present)
}

/// A set-aside table's name.
fn legacy(catalog: &DatabaseConnection, table: &str) -> String {
    match catalog.get_database_backend() {
        DbBackend::Postgres => format!("{LEGACY_SCHEMA}.{table}"),
        _ => format!("legacy_{table}"),
    }
}

/// One tenant's rows, copied in one transaction of its unit; how many.
async fn copy_tenant(
    settings: &Settings,
    catalog: &DatabaseConnection,
    tables: &[&str],
    tenant: TenantId,
    placement: Option<Placement>,
    location: Option<&str>,
) -> Result<u64> {
    match (settings.backend(), placement, location) {
        (Backend::Postgres, Some(Placement::Database), Some(database)) => {
            let unit =
                connect_pool(&settings.owner_url_for(database), Backend::Postgres, 1).await?;
            let copied = copy_postgres(catalog, &unit, tables, tenant, "public").await;
            unit.close().await?;
            copied
        }
        (Backend::Postgres, Some(Placement::Schema), Some(schema)) => {
            copy_postgres(catalog, catalog, tables, tenant, schema).await
        }
        (Backend::Postgres, _, _) => {
            copy_postgres(catalog, catalog, tables, tenant, "public").await
        }
        (Backend::Sqlite, _, _) => copy_sqlite(settings, tables, tenant).await,
    }
}

/// PostgreSQL: each table's rows of the tenant as JSON from the catalog, then
/// inserted in the unit bound to the tenant (its wall checks every row).
async fn copy_postgres(
    catalog: &DatabaseConnection,
    unit: &DatabaseConnection,
    tables: &[&str],
    tenant: TenantId,
    schema: &str,
) -> Result<u64> {
    let mut batches = Vec::new();
    for table in tables {
        let select = format!(
            "SELECT coalesce(json_agg(to_jsonb(l) - 'tenant' || jsonb_build_object('tenant_id', l.tenant)), '[]')::text AS rows
             FROM {LEGACY_SCHEMA}.{table} l WHERE l.tenant = $1"
        );
        batches.push((*table, rows_json(catalog, &select, tenant).await?));
    }
    let kinds = TENANT_AUDIT_KINDS
        .iter()
        .map(|k| format!("action LIKE '{k}%'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let audit = format!(
        "SELECT coalesce(json_agg(json_build_object('tenant_id', tenant, 'id', id, 'at', at, 'actor', actor,
                 'action', action, 'detail', detail)), '[]')::text AS rows
         FROM public.platform_audit WHERE tenant = $1 AND ({kinds})"
    );
    batches.push(("audit_log", rows_json(catalog, &audit, tenant).await?));

    let txn = sea_orm::TransactionTrait::begin(unit).await?;
    txn.execute_unprepared(&format!(
        "SELECT set_config('search_path', {}, true), set_config('app.tenant_id', '{}', true)",
        postgres::quote_literal(&postgres::quote_ident(schema)),
        tenant.uuid()
    ))
    .await?;
    let mut rows = 0;
    for (table, json) in batches {
        if json == "[]" {
            continue;
        }
        let inserted = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, $1::json)
                     ON CONFLICT DO NOTHING"
                ),
                [json.into()],
            ))
            .await?;
        rows += inserted.rows_affected();
    }
    txn.commit().await?;
    Ok(rows)
}

async fn rows_json(catalog: &DatabaseConnection, sql: &str, tenant: TenantId) -> Result<String> {
    // Bound to the tenant: the platform audit is behind the wall, for its
    // owner too (FORCE).
    let txn = sea_orm::TransactionTrait::begin(catalog).await?;
    txn.execute_unprepared(&format!(
        "SELECT set_config('app.tenant_id', '{}', true)",
        tenant.uuid()
    ))
    .await?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [tenant.uuid().into()],
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no answer to a legacy row query"))?;
    txn.commit().await?;
    Ok(row.try_get("", "rows")?)
}

/// SQLite: the tenant's file attaches the catalog and copies with one
/// `INSERT … SELECT` per table, in one transaction of the file.
async fn copy_sqlite(settings: &Settings, tables: &[&str], tenant: TenantId) -> Result<u64> {
    let files = TenantFiles::new(settings.tenant_files_dir(), 1);
    let path = files.path(tenant);
    if !path.exists() {
        return Ok(0); // purged, or never provisioned
    }
    let unit = connect_pool(
        &format!("sqlite://{}?mode=rw", path.display()),
        Backend::Sqlite,
        1,
    )
    .await?;
    let copied = async {
        let catalog_file = sqlite_catalog_path(settings);
        // ATTACH cannot run inside a transaction: the one connection attaches
        // first, then begins.
        unit.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "ATTACH DATABASE ? AS catalog",
            [catalog_file.into()],
        ))
        .await?;
        unit.execute_unprepared("BEGIN").await?;
        let mut rows = 0;
        let work = async {
            for table in tables {
                let columns = sqlite_columns(&unit, table).await?;
                let source: Vec<String> = columns
                    .iter()
                    .map(|c| if c == "tenant_id" { "tenant".to_owned() } else { c.clone() })
                    .collect();
                let sql = format!(
                    "INSERT OR IGNORE INTO main.{table} ({}) SELECT {} FROM catalog.legacy_{table} WHERE tenant = ?",
                    columns.join(", "),
                    source.join(", ")
                );
                rows += exec(&unit, &sql, Some(tenant.uuid())).await?;
            }
            let kinds = TENANT_AUDIT_KINDS
                .iter()
                .map(|k| format!("action LIKE '{k}%'"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!(
                "INSERT OR IGNORE INTO main.audit_log (tenant_id, id, at, actor, action, detail)
                 SELECT tenant, id, at, actor, action, detail FROM catalog.platform_audit
                 WHERE tenant = ? AND ({kinds})"
            );
            rows += exec(&unit, &sql, Some(tenant.uuid())).await?;
            Ok::<_, crate::Error>(rows)
        }
        .await;
        match work {
            Ok(rows) => {
                unit.execute_unprepared("COMMIT").await?;
                unit.execute_unprepared("DETACH DATABASE catalog").await?;
                Ok(rows)
            }
            Err(e) => {
                let _ = unit.execute_unprepared("ROLLBACK").await;
                Err(e)
            }
        }
    }
    .await;
    unit.close().await?;
    copied
}

/// The tenant-plane columns of `table` in a tenant's file.
async fn sqlite_columns(unit: &DatabaseConnection, table: &str) -> Result<Vec<String>> {
    let rows = unit
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String>("", "name")?))
        .collect()
}

/// The catalog's file on the embedded default.
fn sqlite_catalog_path(settings: &Settings) -> String {
    let url = settings.runtime_url();
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    path.split('?').next().unwrap_or_default().to_owned()
}

/// Drops the set-aside tables once every tenant is copied; the rows of no
/// tenant that were left behind.
async fn drop_set_aside(catalog: &DatabaseConnection, tables: &[&str]) -> Result<u64> {
    let leftover = match tables.contains(&"mail_outbox") {
        true => {
            let sql = format!(
                "SELECT count(*) AS n FROM {} WHERE tenant IS NULL",
                legacy(catalog, "mail_outbox")
            );
            count(catalog, &sql, None).await?
        }
        false => 0,
    };
    match catalog.get_database_backend() {
        DbBackend::Postgres => {
            catalog
                .execute_unprepared(&format!("DROP SCHEMA {LEGACY_SCHEMA} CASCADE"))
                .await?;
        }
        _ => {
            for table in tables.iter().chain(&["copied"]) {
                catalog
                    .execute_unprepared(&format!("DROP TABLE legacy_{table}"))
                    .await?;
            }
        }
    }
    Ok(u64::try_from(leftover).unwrap_or(0))
}

async fn exec(conn: &DatabaseConnection, sql: &str, value: Option<uuid::Uuid>) -> Result<u64> {
    let backend = conn.get_database_backend();
    let sql = super::placeholders::for_backend(backend, sql);
    let values: Vec<sea_orm::Value> = value.into_iter().map(Into::into).collect();
    Ok(conn
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .rows_affected())
}

async fn count(conn: &DatabaseConnection, sql: &str, value: Option<uuid::Uuid>) -> Result<i64> {
    let backend = conn.get_database_backend();
    let values: Vec<sea_orm::Value> = value.into_iter().map(Into::into).collect();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| anyhow::anyhow!("COUNT returned nothing"))?;
    Ok(row.try_get("", "n")?)
}
