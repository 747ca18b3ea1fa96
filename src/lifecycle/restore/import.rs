//! Importing a tenant from outside: a directory of JSON Lines or CSV files,
//! one per tenant-plane table (`users.jsonl`, `projects.csv`), mapped onto
//! the plane by table and column name. A dry run reports what would be
//! imported and every row it would refuse, and why; an import with any
//! refused row writes nothing.

use super::{credentials, Payload, KEPT, NOT_RESTORED};
use crate::error::{Error, Result};
use crate::exports::archive::rows_of;
use crate::tenancy::{check_row, Engine, TenantRecord};
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// One file of an import: its table, its name, and its rows or why none.
type ImportFile = (
    String,
    String,
    std::result::Result<Vec<Map<String, Json>>, String>,
);

/// The files to import, by name, and what to call the import.
#[derive(Debug, Clone)]
pub struct Import {
    pub name: String,
    pub files: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    pub file: String,
    pub rows: u64,
    pub refused: u64,
}

/// What an import would do.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub tables: Vec<TableReport>,
    /// Rows that would be imported.
    pub rows: u64,
    /// Every refusal: `<file> line <n>: <column>: <reason>`, or a whole file's.
    pub refused: Vec<String>,
}

impl Import {
    /// Every `.jsonl` and `.csv` file of a directory.
    pub fn from_dir(dir: &std::path::Path) -> Result<Self> {
        let unreadable =
            |e: std::io::Error| Error::invalid("import", format!("{}: {e}", dir.display()));
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if name.ends_with(".jsonl") || name.ends_with(".csv") {
                files.push((name, std::fs::read(&path).map_err(unreadable)?));
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(Error::invalid(
                "import",
                "the directory has no .jsonl or .csv file",
            ));
        }
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("import")
            .to_owned();
        Ok(Self { name, files })
    }

    /// The files as one tar, kept for the import's job.
    pub(super) fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut tar = tar::Builder::new(Vec::new());
        for (name, body) in &self.files {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o600);
            header.set_cksum();
            tar.append_data(&mut header, name, body.as_slice())
                .map_err(anyhow::Error::from)?;
        }
        Ok(tar.into_inner().map_err(anyhow::Error::from)?)
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut files = Vec::new();
        let mut tar = tar::Archive::new(bytes);
        for entry in tar.entries().map_err(anyhow::Error::from)? {
            let mut entry = entry.map_err(anyhow::Error::from)?;
            let name = entry
                .path()
                .map_err(anyhow::Error::from)?
                .display()
                .to_string();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut body).map_err(anyhow::Error::from)?;
            files.push((name, body));
        }
        Ok(Self {
            name: "import".into(),
            files,
        })
    }

    /// Each file's table and rows; a file that cannot be read is refused whole.
    fn tables(&self) -> Vec<ImportFile> {
        self.files
            .iter()
            .map(|(file, body)| {
                let (table, rows) = match file.rsplit_once('.') {
                    Some((table, "jsonl")) => {
                        (table, rows_of(file, body).map_err(|e| e.to_string()))
                    }
                    Some((table, "csv")) => (table, csv_rows(file, body)),
                    _ => (
                        file.as_str(),
                        Err(format!("{file}: not a .jsonl or .csv file")),
                    ),
                };
                (table.to_owned(), file.clone(), rows)
            })
            .collect()
    }

    pub(super) fn payload(self) -> Payload {
        let tables = self
            .tables()
            .into_iter()
            .filter_map(|(table, _, rows)| rows.ok().map(|rows| (table, rows)))
            .collect();
        Payload {
            tables,
            files: Vec::new(),
        }
    }
}

/// A CSV file's rows: a header of column names, then one row per line; an
/// empty field is no value.
fn csv_rows(file: &str, body: &[u8]) -> std::result::Result<Vec<Map<String, Json>>, String> {
    let mut reader = csv::Reader::from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| format!("{file}: its header cannot be read: {e}"))?
        .clone();
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{file} line {}: {e}", n + 2))?;
        let row: Map<String, Json> = headers
            .iter()
            .zip(record.iter())
            .map(|(column, value)| {
                let value = match value {
                    "" => Json::Null,
                    v => Json::String(v.to_owned()),
                };
                (column.to_owned(), value)
            })
            .collect();
        rows.push(row);
    }
    Ok(rows)
}

/// What importing `import` into `tenant` would do, writing nothing.
pub async fn dry_run(
    engine: &Engine,
    tenant: &TenantRecord,
    import: &Import,
) -> Result<ImportReport> {
    let ctx = engine.ctx(tenant.clone());
    let keys = ctx.keys().await?;
    let kept = credentials::Kept::none();
    let db = ctx.read().await?;
    let plane = db.plane_tables().await?;
    let mut report = ImportReport {
        tables: Vec::new(),
        rows: 0,
        refused: Vec::new(),
    };
    for (table, file, rows) in import.tables() {
        let rows = match rows {
            Ok(rows) => rows,
            Err(why) => {
                report.refused.push(why);
                continue;
            }
        };
        if !plane.contains(&table) {
            report
                .refused
                .push(format!("{file}: the tenant plane has no table {table}"));
            continue;
        }
        if KEPT.contains(&table.as_str()) || NOT_RESTORED.contains(&table.as_str()) {
            report.refused.push(format!(
                "{file}: {table} cannot be imported (platform state or credentials)"
            ));
            continue;
        }
        let columns = db.plane_columns(&table).await?;
        let mut refused = 0;
        for (n, row) in rows.iter().enumerate() {
            let mut filled = row.clone();
            kept.fill(&table, &mut filled, &keys)?;
            if let Err(problems) = check_row(&columns, &filled) {
                refused += 1;
                let line = if file.ends_with(".csv") { n + 2 } else { n + 1 };
                for problem in problems {
                    report
                        .refused
                        .push(format!("{file} line {line}: {problem}"));
                }
            }
        }
        let rows = rows.len() as u64;
        report.rows += rows - refused;
        report.tables.push(TableReport {
            table,
            file,
            rows,
            refused,
        });
    }
    db.commit().await?;
    Ok(report)
}
