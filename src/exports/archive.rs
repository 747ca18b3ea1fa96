//! Reading an export archive back, for a restore: refused unless this
//! platform signed its manifest (so an archive from another platform, or
//! one whose manifest was edited, is refused) and every file in it matches
//! the manifest's checksum and row count.

use super::*;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// An archive whose every file was checked.
pub struct Archive {
    /// The tenant it was exported from, and when.
    pub tenant_slug: String,
    pub created_at: String,
    /// Each tenant-plane table's rows, as exported.
    pub tables: Vec<(String, Vec<Map<String, Json>>)>,
    /// The tenant's files, by their key below its prefix (`branding/logo.png`).
    pub files: Vec<(String, Vec<u8>)>,
}

fn refused(reason: impl Into<String>) -> Error {
    Error::invalid("archive", reason)
}

/// Opens `bytes` as an archive this platform exported, or says why not.
pub async fn open(engine: &Engine, bytes: &[u8]) -> Result<Archive> {
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut tar = tar::Archive::new(bytes);
    let unreadable = |_| refused("is not a tar archive of an export");
    for entry in tar.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry.path().map_err(unreadable)?.display().to_string();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut body).map_err(unreadable)?;
        entries.insert(name, body);
    }
    let manifest = entries
        .get("manifest.json")
        .ok_or_else(|| refused("has no manifest.json: it is not an export"))?;
    let signature = entries.get("manifest.sig").ok_or_else(|| {
        refused("is not signed: only archives this platform exported can be restored")
    })?;
    let signed = engine
        .verify(
            MANIFEST_SIGNATURE,
            manifest,
            &String::from_utf8_lossy(signature),
        )
        .await?;
    if !signed {
        return Err(refused(
            "was not exported by this platform, or its manifest was changed",
        ));
    }
    let manifest: Json =
        serde_json::from_slice(manifest).map_err(|_| refused("its manifest is not JSON"))?;
    let mut listed = vec!["manifest.json".to_owned(), "manifest.sig".to_owned()];
    let mut tables = Vec::new();
    for (group, rows_expected) in [("tables", true), ("records", true)] {
        for entry in manifest[group].as_array().into_iter().flatten() {
            let file = entry["file"].as_str().unwrap_or_default().to_owned();
            let body = checked(&entries, &file, entry["sha256"].as_str())?;
            let rows = rows_of(&file, body)?;
            if rows_expected && entry["rows"].as_u64() != Some(rows.len() as u64) {
                return Err(refused(format!(
                    "{file}: its row count does not match the manifest"
                )));
            }
            if group == "tables" {
                tables.push((entry["name"].as_str().unwrap_or_default().to_owned(), rows));
            }
            listed.push(file);
        }
    }
    let mut files = Vec::new();
    for entry in manifest["files"].as_array().into_iter().flatten() {
        let file = entry["file"].as_str().unwrap_or_default().to_owned();
        let body = checked(&entries, &file, entry["sha256"].as_str())?;
        let key = file.strip_prefix("files/").unwrap_or(&file).to_owned();
        files.push((key, body.to_vec()));
        listed.push(file);
    }
    if let Some(extra) = entries.keys().find(|name| !listed.contains(name)) {
        return Err(refused(format!("{extra}: not in the manifest")));
    }
    Ok(Archive {
        tenant_slug: manifest["tenant"]["slug"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        created_at: manifest["created_at"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        tables,
        files,
    })
}

fn checked<'a>(
    entries: &'a BTreeMap<String, Vec<u8>>,
    file: &str,
    sha256: Option<&str>,
) -> Result<&'a [u8]> {
    let body = entries
        .get(file)
        .ok_or_else(|| refused(format!("{file}: listed in the manifest but missing")))?;
    if Some(hex::encode(Sha256::digest(body)).as_str()) != sha256 {
        return Err(refused(format!(
            "{file}: its checksum does not match the manifest"
        )));
    }
    Ok(body)
}

/// The JSON objects of a JSON Lines file.
pub fn rows_of(file: &str, body: &[u8]) -> Result<Vec<Map<String, Json>>> {
    let text = std::str::from_utf8(body).map_err(|_| refused(format!("{file}: not UTF-8")))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(row)) => Ok(row),
            _ => Err(refused(format!(
                "{file}: line {} is not a JSON object",
                n + 1
            ))),
        })
        .collect()
}
