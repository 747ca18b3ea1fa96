//! Row-level SQL the mover uses on either side: counts, checksums, primary
//! keys, per-row hashes, and copying, upserting and deleting rows by key.

use super::*;

pub(super) async fn count<C: ConnectionTrait>(conn: &C, table: &str) -> Result<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT count(*)::bigint AS n FROM {table}"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("count returned no row"))?;
    Ok(row.try_get("", "n")?)
}

/// Row count and an order-independent checksum of every row's JSON.
pub(super) async fn checksum<C: ConnectionTrait>(conn: &C, table: &str) -> Result<(i64, String)> {
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT count(*)::bigint AS n,
                        coalesce(sum(hashtextextended(row_to_json(t)::text, 0)::numeric), 0)::text AS s
                 FROM {table} t"
            ),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("checksum returned no row"))?;
    Ok((row.try_get("", "n")?, row.try_get("", "s")?))
}

/// Primary-key columns of a table, in key order.
pub(super) async fn primary_key<C: ConnectionTrait>(conn: &C, table: &str) -> Result<Vec<String>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.attname::text AS c FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE i.indrelid = $1::regclass AND i.indisprimary
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [(*table).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get("", "c")?)).collect()
}

/// A list of keys, passed as one JSON array parameter.
pub(super) const KEYS_PARAM: &str = "(SELECT json_array_elements_text($1::json))";

pub(super) fn json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

pub(super) fn key_expr(keys: &[String]) -> String {
    let cols: Vec<String> = keys
        .iter()
        .map(|k| format!("t.{}", postgres::quote_ident(k)))
        .collect();
    format!("json_build_array({})::text", cols.join(", "))
}

/// Key → hash of the row, for every row.
pub(super) async fn row_hashes<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    keys: &[String],
) -> Result<HashMap<String, String>> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT {} AS k, md5(row_to_json(t)::text) AS h FROM {table} t",
                key_expr(keys)
            ),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "k")?, r.try_get("", "h")?)))
        .collect()
}

/// Rows as JSON, all of them or those with the given keys.
pub(super) async fn row_json<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    only: Option<(&[String], &[String])>,
) -> Result<Vec<String>> {
    let stmt = match only {
        None => Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT row_to_json(t)::text AS r FROM {table} t"),
        ),
        Some((keys, wanted)) => Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT row_to_json(t)::text AS r FROM {table} t WHERE {} IN {KEYS_PARAM}",
                key_expr(keys)
            ),
            [json_list(wanted).into()],
        ),
    };
    let rows = conn.query_all_raw(stmt).await?;
    rows.iter().map(|r| Ok(r.try_get("", "r")?)).collect()
}

/// Inserts rows given as JSON objects; with `upsert_on`, existing rows with
/// the same key are overwritten.
pub(super) async fn insert_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    rows: &[String],
    conflict: &str,
) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, $1::json){conflict}"),
        [format!("[{}]", rows.join(",")).into()],
    ))
    .await?;
    Ok(())
}

/// ` ON CONFLICT (keys) DO UPDATE SET …`: rows already there are overwritten.
pub(super) async fn upsert_clause<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    keys: &[String],
) -> Result<String> {
    let updates: Vec<String> = columns(conn, table)
        .await?
        .iter()
        .filter(|c| !keys.contains(c))
        .map(|c| format!("{0} = EXCLUDED.{0}", postgres::quote_ident(c)))
        .collect();
    let key_list: Vec<String> = keys.iter().map(|k| postgres::quote_ident(k)).collect();
    Ok(match updates.is_empty() {
        true => format!(" ON CONFLICT ({}) DO NOTHING", key_list.join(", ")),
        false => format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            key_list.join(", "),
            updates.join(", ")
        ),
    })
}

pub(super) async fn delete_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    keys: &[String],
    doomed: &[String],
) -> Result<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "DELETE FROM {table} t WHERE {} IN {KEYS_PARAM}",
            key_expr(keys)
        ),
        [json_list(doomed).into()],
    ))
    .await?;
    Ok(())
}

pub(super) async fn columns<C: ConnectionTrait>(conn: &C, table: &str) -> Result<Vec<String>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT attname::text AS c FROM pg_attribute
             WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [(*table).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get("", "c")?)).collect()
}
