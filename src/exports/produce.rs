//! Producing an export: every tenant-plane table read in one read
//! transaction of the tenant, written as JSON Lines into a tar archive with a
//! manifest of row counts and checksums, stored whole in the tenant's object
//! storage.

use super::*;

/// Writes `rows` of `table` to `<dir>/<table>.jsonl` in the archive; its
/// manifest entry.
fn archive_table(
    archive: &mut tar::Builder<Vec<u8>>,
    dir: &str,
    table: &str,
    rows: &[sea_orm::JsonValue],
) -> Result<TableEntry> {
    let body = json_lines(rows);
    let file = format!("{dir}/{table}.jsonl");
    append(archive, &file, body.as_bytes())?;
    Ok(TableEntry {
        name: table.to_owned(),
        file,
        rows: rows.len() as u64,
        sha256: hex::encode(Sha256::digest(body.as_bytes())),
    })
}

/// One JSON object per line, the redacted columns left out.
fn json_lines(rows: &[sea_orm::JsonValue]) -> String {
    let mut body = String::new();
    for mut row in rows.iter().cloned() {
        if let Some(object) = row.as_object_mut() {
            for column in REDACTED_COLUMNS {
                object.remove(*column);
            }
        }
        body.push_str(&row.to_string());
        body.push('\n');
    }
    body
}

#[derive(Serialize)]
struct TableEntry {
    name: String,
    file: String,
    rows: u64,
    sha256: String,
}

/// Reads every tenant-plane table in the tenant's own read transaction and
/// stores the archive in the tenant's object storage (whole, so a
/// half-written archive is never served).
pub(super) async fn produce(ctx: &TenantCtx, id: uuid::Uuid) -> Result<()> {
    let (engine, tenant) = (ctx.engine(), ctx.tenant());
    let counts = engine.tenant_plane_rows(tenant).await?;
    let total: i64 = counts
        .iter()
        .map(|(_, n)| i64::try_from(*n).unwrap_or(0))
        .sum();
    set_state(ctx, id, RUNNING, total).await?;
    progress::set(ctx, id, total, 0).await;

    let db = ctx.read().await?;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&db);
    let mut archive = tar::Builder::new(Vec::new());
    let mut tables = Vec::new();
    let mut done = 0i64;
    for table in db.plane_tables().await? {
        let sql = format!("SELECT * FROM {table} ORDER BY 1, 2");
        let mut rows = sea_orm::JsonValue::find_by_statement(Statement::from_string(backend, sql))
            .all(&db)
            .await?;
        let personal = db.personal()?;
        for row in &mut rows {
            personal.open_json(&table, row).await?;
        }
        tables.push(archive_table(&mut archive, "tables", &table, &rows)?);
        done += i64::try_from(rows.len()).unwrap_or(0);
        progress::set(ctx, id, total.max(done), done).await;
    }
    db.commit().await?;
    // Its records the platform keeps in the catalog (branding, domains,
    // invoices, plan history, quota counters…), in its own bound
    // transaction there.
    let kept = ctx.records().await?;
    let mut records = Vec::new();
    for table in kept.record_tables().await? {
        let rows = kept.rows_of(&table).await?;
        records.push(archive_table(&mut archive, "records", &table, &rows)?);
    }
    kept.commit().await?;
    // The tenant's stored files (logo, favicon), from its own prefix.
    let mut files = Vec::new();
    let keys = ctx.keys().await?;
    for (key, bytes) in engine.storage().of(ctx).all(&keys).await? {
        let file = format!("files/{key}");
        append(&mut archive, &file, &bytes)?;
        files.push(serde_json::json!({
            "file": file,
            "bytes": bytes.len(),
            "sha256": hex::encode(Sha256::digest(&bytes)),
        }));
    }
    let manifest = serde_json::json!({
        "format": 1,
        "tenant": { "id": tenant.id.to_string(), "slug": tenant.slug.as_str(), "name": tenant.name },
        "export_id": id,
        "created_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "tables": tables,
        "records": records,
        "files": files,
    });
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(anyhow::Error::from)?;
    append(&mut archive, "manifest.json", &manifest)?;
    // Signed by the platform (its key-encryption key): a restore knows its
    // own archives, and the manifest's checksums vouch for every file.
    let signature = engine.sign(super::MANIFEST_SIGNATURE, &manifest).await?;
    append(&mut archive, "manifest.sig", signature.as_bytes())?;
    let bytes = archive.into_inner().map_err(anyhow::Error::from)?;

    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let sha256 = hex::encode(Sha256::digest(&bytes));
    engine
        .storage()
        .of(ctx)
        .put_archive(&keys, id, bytes)
        .await?;

    let now = chrono::Utc::now();
    let ttl = chrono::Duration::hours(i64::from(engine.settings().export_ttl_hours));
    // Noted before the row says done, so an archive never outlives its
    // expiry unseen (a pass that finds nothing due looks again later).
    directory::work_due_now(engine, Queue::Exports, tenant.id).await?;
    ctx.run_for_platform(async |db| {
        tenant_export::Entity::update_many()
            .col_expr(tenant_export::Column::State, DONE.into())
            .col_expr(tenant_export::Column::RowsDone, done.into())
            .col_expr(tenant_export::Column::RowsTotal, done.into())
            .col_expr(tenant_export::Column::SizeBytes, Some(size).into())
            .col_expr(tenant_export::Column::Sha256, Some(sha256).into())
            .col_expr(tenant_export::Column::FinishedAt, Some(now).into())
            .col_expr(tenant_export::Column::ExpiresAt, Some(now + ttl).into())
            .filter(tenant_export::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    })
    .await?;
    progress::done(ctx, id).await;
    Ok(())
}

fn append(archive: &mut tar::Builder<Vec<u8>>, name: &str, body: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0));
    header.set_entry_type(tar::EntryType::Regular);
    archive
        .append_data(&mut header, name, body)
        .map_err(anyhow::Error::from)?;
    Ok(())
}
