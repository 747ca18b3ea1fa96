//! Restore and import on the console, for superadmins only: uploads, so
//! plain multipart form posts rather than server functions.
//! - `POST /console/tenants/{slug}/restore`: an export archive (`archive`,
//!   or `export_id` for one of the tenant's own exports), restored in place
//!   (`mode=replace`, `confirm` = the slug) or as a new tenant (`mode=new`,
//!   `new_slug`, `name`, `owner_email`, `placement`).
//! - `POST /console/tenants/{slug}/import`: `files` (JSON Lines or CSV, one
//!   per table), `dry_run=1` for the report only, else `confirm` = the slug.
//!
//! A browser is sent back to the tenant's Data page with the outcome in
//! the query; an API client gets JSON.

use crate::api::error::json_error;
use crate::brand_assets::url_escape;
use crate::page_routes::{router_of, PageRoute};
use crate::router::Site;
use axum::extract::{Multipart, Path};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Router};
use std::collections::HashMap;
use tenantry::authz::Need;
use tenantry::identity::admins;
use tenantry::lifecycle::restore::{self, Import, NewTarget};
use tenantry::tenancy::{Engine, RequestScope, Slug};
use tenantry::Error;
use tower_sessions::Session;

/// The largest upload: an archive or a set of import files.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

pub fn table() -> Vec<PageRoute> {
    vec![
        PageRoute {
            method: "POST",
            path: "/console/tenants/{slug}/restore",
            need: Need::Superadmin,
            handler: post(restore_upload),
        },
        PageRoute {
            method: "POST",
            path: "/console/tenants/{slug}/import",
            need: Need::Superadmin,
            handler: post(import_upload),
        },
    ]
}

pub fn router() -> Router<Site> {
    router_of(table()).layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

/// The superadmin's label, or the refusal (not the console: 404; not a
/// superadmin: 401).
async fn superadmin(
    scope: &RequestScope,
    engine: &Engine,
    session: &Session,
) -> Result<String, Response> {
    if scope.console().is_err() {
        return Err(json_error(&Error::NotFound));
    }
    let found = match tenantry::session::subject(session, scope).await {
        Some(id) => admins::find(engine, id).await,
        None => Ok(None),
    };
    match found {
        Ok(Some(admin)) => Ok(format!("superadmin:{}", admin.email)),
        Ok(None) => Err(json_error(&Error::Unauthenticated)),
        Err(e) => Err(json_error(&e)),
    }
}

/// The form's text fields, and its files by field name.
struct Form {
    fields: HashMap<String, String>,
    files: Vec<(String, String, Vec<u8>)>,
}

impl Form {
    fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

async fn read_form(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> tenantry::Result<Form> {
    let unreadable = || Error::invalid("upload", "the upload could not be read");
    let mut multipart = multipart.map_err(|_| Error::invalid("upload", "send a multipart form"))?;
    let mut form = Form {
        fields: HashMap::new(),
        files: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file) => {
                let bytes = field.bytes().await.map_err(|_| unreadable())?;
                if !file.is_empty() {
                    form.files.push((name, file, bytes.to_vec()));
                }
            }
            None => {
                let text = field.text().await.map_err(|_| unreadable())?;
                form.fields.insert(name, text);
            }
        }
    }
    Ok(form)
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// JSON for an API client; back to the Data page for a browser.
fn answer(
    slug: &str,
    headers: &HeaderMap,
    outcome: tenantry::Result<serde_json::Value>,
    note: &str,
) -> Response {
    let page = format!("/console/tenants/{}/data", url_escape(slug));
    match (outcome, wants_html(headers)) {
        (Ok(json), false) => (StatusCode::OK, axum::Json(json)).into_response(),
        (Ok(_), true) => Redirect::to(&format!("{page}?{note}")).into_response(),
        (Err(Error::Invalid(f)), true) => {
            let message = url_escape(&format!("{}: {}", f.field, f.message));
            Redirect::to(&format!("{page}?restore_error={message}")).into_response()
        }
        (Err(e), _) => json_error(&e),
    }
}

async fn restore_upload(
    Extension(scope): Extension<RequestScope>,
    Extension(engine): Extension<Engine>,
    session: Session,
    Path(slug): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let actor = match superadmin(&scope, &engine, &session).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    let outcome = restore_from(&engine, &slug, multipart, &actor).await;
    answer(&slug, &headers, outcome, "restore=started")
}

async fn restore_from(
    engine: &Engine,
    slug: &str,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    actor: &str,
) -> tenantry::Result<serde_json::Value> {
    let form = read_form(multipart).await?;
    let archive = match form.files.into_iter().find(|(name, ..)| name == "archive") {
        Some((_, _, bytes)) => bytes,
        None => own_export(engine, slug, &form.fields).await?,
    };
    let started = match form.fields.get("mode").map(String::as_str) {
        Some("new") => {
            let target = NewTarget {
                slug: form.fields.get("new_slug").cloned().unwrap_or_default(),
                name: form.fields.get("name").cloned().unwrap_or_default(),
                placement: form.fields.get("placement").cloned().unwrap_or_default(),
                owner_email: form.fields.get("owner_email").cloned().unwrap_or_default(),
            };
            restore::restore_as_new(engine, &archive, target, actor).await?
        }
        Some("replace") => {
            let confirm = form.fields.get("confirm").cloned().unwrap_or_default();
            restore::restore_replacing(engine, slug, &archive, &confirm, actor).await?
        }
        _ => return Err(Error::invalid("mode", "must be replace or new")),
    };
    Ok(serde_json::to_value(started).map_err(anyhow::Error::from)?)
}

/// The archive of one of the tenant's own finished exports.
async fn own_export(
    engine: &Engine,
    slug: &str,
    fields: &HashMap<String, String>,
) -> tenantry::Result<Vec<u8>> {
    let id = fields
        .get("export_id")
        .and_then(|id| uuid::Uuid::parse_str(id.trim()).ok())
        .ok_or_else(|| {
            Error::invalid(
                "archive",
                "choose an archive file or one of the tenant's exports",
            )
        })?;
    let slug = Slug::parse(slug).map_err(|_| Error::NotFound)?;
    let record = engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)?;
    Ok(tenantry::exports::archive(engine, &record, id).await?.0)
}

async fn import_upload(
    Extension(scope): Extension<RequestScope>,
    Extension(engine): Extension<Engine>,
    session: Session,
    Path(slug): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let actor = match superadmin(&scope, &engine, &session).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    let outcome = import_from(&engine, &slug, multipart, &actor).await;
    let note = match &outcome {
        Ok(json) if json.get("refused").is_some() => {
            let refused = json["refused"].as_array().map_or(0, Vec::len);
            let rows = json["rows"].as_u64().unwrap_or(0);
            let first: Vec<String> = json["refused"]
                .as_array()
                .into_iter()
                .flatten()
                .take(20)
                .filter_map(|r| r.as_str().map(url_escape))
                .collect();
            format!(
                "import_rows={rows}&import_refused={refused}&refusal={}",
                first.join("&refusal=")
            )
        }
        _ => "restore=started".to_owned(),
    };
    answer(&slug, &headers, outcome, &note)
}

async fn import_from(
    engine: &Engine,
    slug: &str,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    actor: &str,
) -> tenantry::Result<serde_json::Value> {
    let form = read_form(multipart).await?;
    let import = Import {
        name: format!("console upload by {actor}"),
        files: form
            .files
            .iter()
            .filter(|(name, ..)| name == "files")
            .map(|(_, file, bytes)| (file.clone(), bytes.clone()))
            .collect(),
    };
    if import.files.is_empty() {
        return Err(Error::invalid(
            "files",
            "choose one .jsonl or .csv file per table",
        ));
    }
    if form.field("dry_run") == "1" {
        let parsed = Slug::parse(slug).map_err(|_| Error::NotFound)?;
        let record = engine
            .record_by_slug(&parsed)
            .await?
            .ok_or(Error::NotFound)?;
        let report = restore::dry_run(engine, &record, &import).await?;
        return Ok(serde_json::to_value(report).map_err(anyhow::Error::from)?);
    }
    let started = restore::import(engine, slug, &import, &form.field("confirm"), actor).await?;
    Ok(serde_json::to_value(started).map_err(anyhow::Error::from)?)
}
