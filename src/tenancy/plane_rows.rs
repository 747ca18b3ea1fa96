//! Rows given as JSON objects, written into the bound tenant's plane: what a
//! restore and an import do. The columns and their types come from the
//! tenant's own database (never from the input), every value is checked
//! against its column's type before anything is written, and `tenant_id` is
//! the bound tenant's, whatever the input says: the engine stamps it here,
//! as it does on every insert.

use super::TenantDb;
use crate::error::{Error, Result};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// What a column holds, as far as input is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Uuid,
    Bool,
    Integer,
    Timestamp,
    Text,
}

#[derive(Debug, Clone)]
pub struct PlaneColumn {
    pub name: String,
    pub kind: ColumnKind,
    /// NOT NULL without a default: a row must give it.
    pub required: bool,
}

fn kind_of(declared: &str) -> ColumnKind {
    let declared = declared.to_ascii_lowercase();
    if declared.contains("uuid") {
        ColumnKind::Uuid
    } else if declared.contains("bool") {
        ColumnKind::Bool
    } else if declared.contains("int") {
        ColumnKind::Integer
    } else if declared.contains("timestamp") {
        ColumnKind::Timestamp
    } else {
        ColumnKind::Text
    }
}

/// One value of `column` from JSON, or why not.
fn value_of(column: &PlaneColumn, json: Option<&Json>) -> std::result::Result<Value, String> {
    let missing = || match column.required {
        true => Err("is required".to_owned()),
        false => Ok(null_of(column.kind)),
    };
    let Some(json) = json.filter(|j| !j.is_null()) else {
        return missing();
    };
    match (column.kind, json) {
        (ColumnKind::Uuid, Json::String(s)) => uuid::Uuid::parse_str(s)
            .map(|u| Value::Uuid(Some(u)))
            .map_err(|_| format!("must be a UUID, not {s:?}")),
        (ColumnKind::Bool, Json::Bool(b)) => Ok(Value::Bool(Some(*b))),
        (ColumnKind::Bool, Json::String(s)) if s == "true" || s == "false" => {
            Ok(Value::Bool(Some(s == "true")))
        }
        (ColumnKind::Integer, Json::Number(n)) => n
            .as_i64()
            .map(|n| Value::BigInt(Some(n)))
            .ok_or_else(|| format!("must be a whole number, not {n}")),
        (ColumnKind::Integer, Json::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(|n| Value::BigInt(Some(n)))
            .map_err(|_| format!("must be a whole number, not {s:?}")),
        (ColumnKind::Timestamp, Json::String(s)) => parse_time(s)
            .map(|t| Value::ChronoDateTimeUtc(Some(t)))
            .ok_or_else(|| format!("must be a time like 2026-01-31T12:00:00Z, not {s:?}")),
        (ColumnKind::Text, Json::String(s)) => Ok(Value::String(Some(s.clone()))),
        (ColumnKind::Text, other) => Ok(Value::String(Some(other.to_string()))),
        (_, other) => Err(format!("has the wrong type ({other})")),
    }
}

fn null_of(kind: ColumnKind) -> Value {
    match kind {
        ColumnKind::Uuid => Value::Uuid(None),
        ColumnKind::Bool => Value::Bool(None),
        ColumnKind::Integer => Value::BigInt(None),
        ColumnKind::Timestamp => Value::ChronoDateTimeUtc(None),
        ColumnKind::Text => Value::String(None),
    }
}

/// RFC 3339, or the forms the databases print (`2026-01-31 12:00:00.5+00:00`,
/// or without an offset, taken as UTC).
fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = chrono::DateTime::parse_from_str(s, format) {
            return Some(t.to_utc());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// The values of a row in `columns`' order, or every reason it is refused
/// (`column: reason`). Columns the table does not have are refused too.
pub fn check_row(
    columns: &[PlaneColumn],
    row: &Map<String, Json>,
) -> std::result::Result<Vec<Value>, Vec<String>> {
    let known: BTreeSet<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut problems: Vec<String> = row
        .keys()
        .filter(|k| k.as_str() != "tenant_id" && !known.contains(k.as_str()))
        .map(|k| format!("{k}: no such column"))
        .collect();
    let mut values = Vec::with_capacity(columns.len());
    for column in columns {
        match value_of(column, row.get(&column.name)) {
            Ok(v) => values.push(v),
            Err(why) => problems.push(format!("{}: {why}", column.name)),
        }
    }
    match problems.is_empty() {
        true => Ok(values),
        false => Err(problems),
    }
}

impl TenantDb {
    /// The columns of plane table `table` but `tenant_id` (the engine's);
    /// not found for a table that is not in the plane.
    pub async fn plane_columns(&self, table: &str) -> Result<Vec<PlaneColumn>> {
        if !self.plane_tables().await?.iter().any(|t| t == table) {
            return Err(Error::NotFound);
        }
        let backend = self.get_database_backend();
        let statement = match backend {
            DbBackend::Postgres => Statement::from_sql_and_values(
                backend,
                "SELECT column_name::text AS name, data_type::text AS kind,
                        (is_nullable = 'NO' AND column_default IS NULL) AS required
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
                [table.into()],
            ),
            _ => Statement::from_sql_and_values(
                backend,
                "SELECT name, type AS kind, (\"notnull\" = 1 AND dflt_value IS NULL) AS required
                 FROM pragma_table_info(?) ORDER BY cid",
                [table.into()],
            ),
        };
        let mut columns = Vec::new();
        for row in self.query_all_raw(statement).await? {
            let name: String = row.try_get("", "name")?;
            if name == "tenant_id" {
                continue;
            }
            let kind: String = row.try_get("", "kind")?;
            columns.push(PlaneColumn {
                name,
                kind: kind_of(&kind),
                required: row.try_get("", "required")?,
            });
        }
        Ok(columns)
    }

    /// The plane's tables, each after the tables its foreign keys point at.
    pub async fn plane_tables_in_order(&self) -> Result<Vec<String>> {
        let tables = self.plane_tables().await?;
        let backend = self.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT c.relname::text AS child, p.relname::text AS parent
                 FROM pg_constraint k
                 JOIN pg_class c ON c.oid = k.conrelid
                 JOIN pg_class p ON p.oid = k.confrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE k.contype = 'f' AND n.nspname = current_schema()"
            }
            _ => {
                "SELECT m.name AS child, f.\"table\" AS parent
                 FROM sqlite_master m, pragma_foreign_key_list(m.name) f
                 WHERE m.type = 'table'"
            }
        };
        let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in self
            .query_all_raw(Statement::from_string(backend, sql))
            .await?
        {
            let child: String = row.try_get("", "child")?;
            let parent: String = row.try_get("", "parent")?;
            if child != parent && tables.contains(&parent) {
                parents.entry(child).or_default().insert(parent);
            }
        }
        let mut ordered: Vec<String> = Vec::with_capacity(tables.len());
        while ordered.len() < tables.len() {
            let before = ordered.len();
            for table in &tables {
                let ready = parents
                    .get(table)
                    .is_none_or(|ps| ps.iter().all(|p| ordered.contains(p)));
                if !ordered.contains(table) && ready {
                    ordered.push(table.clone());
                }
            }
            if ordered.len() == before {
                return Err(Error::Unexpected(anyhow::anyhow!(
                    "the plane's foreign keys form a cycle"
                )));
            }
        }
        Ok(ordered)
    }

    /// Inserts one checked row (values in `columns`' order) into `table`,
    /// stamped with the bound tenant.
    pub async fn insert_plane_row(
        &self,
        table: &str,
        columns: &[PlaneColumn],
        values: Vec<Value>,
    ) -> Result<()> {
        let backend = self.get_database_backend();
        let names: Vec<&str> = std::iter::once("tenant_id")
            .chain(columns.iter().map(|c| c.name.as_str()))
            .collect();
        let marks: Vec<String> = (1..=names.len())
            .map(|n| match backend {
                DbBackend::Postgres => format!("${n}"),
                _ => "?".to_owned(),
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        );
        let mut all = vec![Value::Uuid(Some(self.tenant_id().uuid()))];
        all.extend(values);
        self.personal()?
            .seal_values(table, &names, &mut all)
            .await?;
        self.execute_raw(Statement::from_sql_and_values(backend, sql, all))
            .await?;
        Ok(())
    }

    /// Deletes every row of the bound tenant in plane table `table`.
    pub async fn clear_plane_table(&self, table: &str) -> Result<u64> {
        if !self.plane_tables().await?.iter().any(|t| t == table) {
            return Err(Error::NotFound);
        }
        let backend = self.get_database_backend();
        Ok(self
            .execute_raw(Statement::from_string(
                backend,
                format!("DELETE FROM {table}"),
            ))
            .await?
            .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<PlaneColumn> {
        let c = |name: &str, kind, required| PlaneColumn {
            name: name.into(),
            kind,
            required,
        };
        vec![
            c("id", ColumnKind::Uuid, true),
            c("name", ColumnKind::Text, true),
            c("done", ColumnKind::Bool, false),
            c("size", ColumnKind::Integer, false),
            c("created_at", ColumnKind::Timestamp, true),
        ]
    }

    #[test]
    fn a_row_is_checked_column_by_column() {
        let row = serde_json::json!({
            "id": "0190a4c4-5b3e-7000-8000-000000000001", "name": "Plans",
            "done": true, "size": "12", "created_at": "2026-01-31 12:00:00.5+00:00",
            "tenant_id": "ignored"
        });
        let values = check_row(&columns(), row.as_object().expect("object")).expect("valid");
        assert_eq!(values[3], Value::BigInt(Some(12)));
        let bad =
            serde_json::json!({ "id": "x", "done": 3, "colour": "red", "created_at": "yesterday" });
        let problems =
            check_row(&columns(), bad.as_object().expect("object")).expect_err("refused");
        assert_eq!(
            problems,
            [
                "colour: no such column",
                "id: must be a UUID, not \"x\"",
                "name: is required",
                "done: has the wrong type (3)",
                "created_at: must be a time like 2026-01-31T12:00:00Z, not \"yesterday\"",
            ]
        );
    }
}
