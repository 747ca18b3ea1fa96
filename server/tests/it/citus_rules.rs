//! Issue 24: the schema is ready for Citus. Citus cannot be installed on our
//! machines, so its distribution rules are checked on the migrated schema
//! itself, read from PostgreSQL's catalog: every tenant-plane table is
//! distributable by `tenant_id` and colocated with the others, every
//! catalog table can be a reference table, and `docs/scale-out.md` carries
//! the statements that would distribute them, as generated here.

use crate::harness::{pg_url, TestApp};
use sea_orm::{ConnectionTrait, Statement};
use std::collections::{BTreeMap, BTreeSet};
use tenantry_migrations::TENANT_TABLES;

/// One constraint of a table in `public`.
#[derive(Debug)]
struct Constraint {
    table: String,
    kind: String,
    name: String,
    columns: Vec<String>,
    references: Option<(String, Vec<String>)>,
}

const CONSTRAINTS: &str = "
SELECT t.relname::text AS tbl, c.contype::text AS kind, c.conname::text AS name,
  ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
  r.relname::text AS ref,
  ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS ref_cols
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace s ON s.oid = t.relnamespace
LEFT JOIN pg_class r ON r.oid = c.confrelid
WHERE s.nspname = 'public' AND c.contype IN ('p', 'u', 'f', 'x')
ORDER BY 1, 3";

/// Unique indexes, with or without a constraint behind them.
const UNIQUE_INDEXES: &str = "
SELECT t.relname::text AS tbl, i.relname::text AS name,
  ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
  x.indexprs IS NOT NULL AS on_expressions
FROM pg_index x
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace s ON s.oid = t.relnamespace
WHERE s.nspname = 'public' AND x.indisunique
ORDER BY 1, 2";

/// Tables in `public`, and whether each has a `tenant_id` column (and
/// whether it may be null).
const TABLES: &str = "
SELECT c.relname::text AS tbl,
  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
          AND NOT a.attisdropped) AS tenant_column,
  COALESCE((SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = c.oid
            AND a.attname = 'tenant_id' AND NOT a.attisdropped), false) AS not_null
FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY 1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migrated_schema_follows_citus_distribution_rules() {
    let app = TestApp::postgres().await;
    let database = app.pg_database.clone().expect("postgres");
    let db = sea_orm::Database::connect(pg_url("postgres", &database))
        .await
        .expect("connects");
    let rows = |sql: &'static str| {
        let db = &db;
        async move {
            db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect(sql)
        }
    };

    let mut tenant_tables = BTreeSet::new();
    let mut catalog_tables = BTreeSet::new();
    let mut problems = Vec::new();
    for row in rows(TABLES).await {
        let table: String = row.try_get("", "tbl").expect("tbl");
        match row.try_get::<bool>("", "tenant_column").expect("column") {
            true => {
                if !row.try_get::<bool>("", "not_null").expect("not null") {
                    problems.push(format!("{table}: tenant_id may be null"));
                }
                tenant_tables.insert(table);
            }
            false => {
                catalog_tables.insert(table);
            }
        }
    }
    let declared: BTreeSet<String> = TENANT_TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        tenant_tables, declared,
        "the tables with tenant_id are the tenant plane"
    );

    let constraints: Vec<Constraint> = rows(CONSTRAINTS)
        .await
        .iter()
        .map(|r| Constraint {
            table: r.try_get("", "tbl").expect("tbl"),
            kind: r.try_get("", "kind").expect("kind"),
            name: r.try_get("", "name").expect("name"),
            columns: r.try_get("", "cols").expect("cols"),
            references: r
                .try_get::<Option<String>>("", "ref")
                .expect("ref")
                .map(|t| (t, r.try_get("", "ref_cols").expect("ref cols"))),
        })
        .collect();
    let has_pk: BTreeSet<&str> = constraints
        .iter()
        .filter(|c| c.kind == "p")
        .map(|c| c.table.as_str())
        .collect();
    for c in &constraints {
        let distributed = tenant_tables.contains(&c.table);
        let keyed = c.columns.iter().any(|col| col == "tenant_id");
        match (c.kind.as_str(), distributed) {
            ("p" | "u" | "x", true) if !keyed => problems.push(format!(
                "{}: {} {} leaves out tenant_id",
                c.table, c.kind, c.name
            )),
            ("f", true) => match &c.references {
                Some((to, to_columns)) if tenant_tables.contains(to) => {
                    // Colocated: tenant_id references tenant_id.
                    let paired = c
                        .columns
                        .iter()
                        .zip(to_columns)
                        .any(|(from, to)| from == "tenant_id" && to == "tenant_id");
                    if !paired {
                        problems.push(format!(
                            "{}: foreign key {} to {to} does not pair tenant_id",
                            c.table, c.name
                        ));
                    }
                }
                Some((to, _)) if !catalog_tables.contains(to) => {
                    problems.push(format!("{}: {} refers outside public", c.table, c.name))
                }
                _ => {}
            },
            ("f", false) => {
                if let Some((to, _)) = &c.references {
                    if tenant_tables.contains(to) {
                        problems.push(format!(
                            "{}: a reference table's key {} points at the distributed {to}",
                            c.table, c.name
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    for row in rows(UNIQUE_INDEXES).await {
        let table: String = row.try_get("", "tbl").expect("tbl");
        let name: String = row.try_get("", "name").expect("name");
        let columns: Vec<String> = row.try_get("", "cols").expect("cols");
        if tenant_tables.contains(&table) && !columns.iter().any(|c| c == "tenant_id") {
            problems.push(format!("{table}: unique index {name} leaves out tenant_id"));
        }
    }
    for table in tenant_tables.iter().chain(&catalog_tables) {
        if !has_pk.contains(table.as_str()) {
            problems.push(format!("{table}: no primary key"));
        }
    }
    assert!(problems.is_empty(), "Citus would refuse: {problems:#?}");

    // The statements, in an order Citus accepts: the tenant tables in
    // creation order (parents first), colocated with the first; the
    // catalog's tables referenced before those that refer to them.
    let first = TENANT_TABLES[0];
    let mut statements = vec![format!(
        "SELECT create_distributed_table('{first}', 'tenant_id');"
    )];
    for table in &TENANT_TABLES[1..] {
        statements.push(format!(
            "SELECT create_distributed_table('{table}', 'tenant_id', colocate_with => '{first}');"
        ));
    }
    let mut refers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in constraints.iter().filter(|c| c.kind == "f") {
        if let Some((to, _)) = &c.references {
            if catalog_tables.contains(&c.table) && to != &c.table {
                refers
                    .entry(c.table.as_str())
                    .or_default()
                    .insert(to.as_str());
            }
        }
    }
    let mut placed: Vec<&str> = Vec::new();
    while placed.len() < catalog_tables.len() {
        let next = catalog_tables
            .iter()
            .map(String::as_str)
            .find(|t| {
                !placed.contains(t)
                    && refers
                        .get(t)
                        .is_none_or(|to| to.iter().all(|p| placed.contains(p)))
            })
            .expect("no cycle among the catalog's foreign keys");
        placed.push(next);
    }
    for table in &placed {
        statements.push(format!("SELECT create_reference_table('{table}');"));
    }
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scale-out.md"))
        .expect("docs/scale-out.md");
    let missing: Vec<&String> = statements
        .iter()
        .filter(|s| !doc.contains(s.as_str()))
        .collect();
    if !missing.is_empty() {
        eprintln!("{}", statements.join("\n"));
    }
    assert!(missing.is_empty(), "docs/scale-out.md lacks {missing:#?}");
    let _ = db.close().await;
}
