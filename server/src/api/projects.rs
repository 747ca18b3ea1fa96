use super::auth::Authed;
use super::body::{parse_id, JsonObject};
use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tenantry::product::{projects, tasks};

/// `{ key: value }` with the given status.
pub fn reply(status: StatusCode, key: &str, value: impl Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_value(value).map_err(|e| tenantry::Error::Unexpected(e.into()))?;
    Ok((status, Json(serde_json::json!({ key: body }))).into_response())
}

pub async fn list(auth: Authed) -> Result<Response, ApiError> {
    let list = auth.run(async |db, _| projects::list(db).await).await?;
    reply(StatusCode::OK, "projects", list)
}

pub async fn create(auth: Authed, body: Bytes) -> Result<Response, ApiError> {
    let project = auth
        .run(async |db, _| {
            projects::create(&auth.ctx, db, &JsonObject::parse(&body)?.string("name")?).await
        })
        .await?;
    reply(StatusCode::CREATED, "project", project)
}

pub async fn show(auth: Authed, Path(id): Path<String>) -> Result<Response, ApiError> {
    let project = auth
        .run(async |db, _| projects::get(db, parse_id(&id)?).await)
        .await?;
    reply(StatusCode::OK, "project", project)
}

pub async fn rename(
    auth: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let project = auth
        .run(async |db, _| {
            let name = JsonObject::parse(&body)?.string("name")?;
            projects::rename(db, parse_id(&id)?, &name).await
        })
        .await?;
    reply(StatusCode::OK, "project", project)
}

pub async fn remove(auth: Authed, Path(id): Path<String>) -> Result<Response, ApiError> {
    auth.run(async |db, _| projects::delete(db, parse_id(&id)?).await)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_tasks(auth: Authed, Path(id): Path<String>) -> Result<Response, ApiError> {
    let list = auth
        .run(async |db, _| tasks::list(db, parse_id(&id)?).await)
        .await?;
    reply(StatusCode::OK, "tasks", list)
}

pub async fn create_task(
    auth: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let task = auth
        .run(async |db, _| {
            let title = JsonObject::parse(&body)?.string("title")?;
            tasks::create(db, parse_id(&id)?, &title).await
        })
        .await?;
    reply(StatusCode::CREATED, "task", task)
}
