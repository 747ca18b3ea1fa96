use super::body::{parse_id, JsonObject};
use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use tenantry::product::{projects, tasks};
use tenantry::tenancy::{RequestScope, TenantDb};
use tower_sessions::Session;

type Scope = Extension<RequestScope>;

/// Runs `work` in the signed-in member's tenant and commits it.
async fn in_tenant<T, F>(
    scope: &Scope,
    session: &Session,
    writes: bool,
    work: F,
) -> Result<T, ApiError>
where
    F: AsyncFnOnce(&TenantDb) -> tenantry::Result<T>,
{
    let ctx = scope.tenant()?;
    let subject = tenantry::session::subject(session, scope).await;
    let run =
        tenantry::identity::members::run_as(ctx, subject, writes, async |db, _| work(db).await);
    Ok(run.await?)
}

/// `{ key: value }` with the given status.
fn reply(status: StatusCode, key: &str, value: impl Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_value(value).map_err(|e| tenantry::Error::Unexpected(e.into()))?;
    Ok((status, Json(serde_json::json!({ key: body }))).into_response())
}

pub async fn list(scope: Scope, session: Session) -> Result<Response, ApiError> {
    let list = in_tenant(&scope, &session, false, async |db| projects::list(db).await).await?;
    reply(StatusCode::OK, "projects", list)
}

pub async fn create(scope: Scope, session: Session, body: Bytes) -> Result<Response, ApiError> {
    let ctx = scope.tenant()?;
    let project = in_tenant(&scope, &session, true, async |db| {
        projects::create(ctx, db, &JsonObject::parse(&body)?.string("name")?).await
    })
    .await?;
    reply(StatusCode::CREATED, "project", project)
}

pub async fn show(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let project = in_tenant(&scope, &session, false, async |db| {
        projects::get(db, parse_id(&id)?).await
    })
    .await?;
    reply(StatusCode::OK, "project", project)
}

pub async fn rename(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let project = in_tenant(&scope, &session, true, async |db| {
        let name = JsonObject::parse(&body)?.string("name")?;
        projects::rename(db, parse_id(&id)?, &name).await
    })
    .await?;
    reply(StatusCode::OK, "project", project)
}

pub async fn remove(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    in_tenant(&scope, &session, true, async |db| {
        projects::delete(db, parse_id(&id)?).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_tasks(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list = in_tenant(&scope, &session, false, async |db| {
        tasks::list(db, parse_id(&id)?).await
    })
    .await?;
    reply(StatusCode::OK, "tasks", list)
}

pub async fn create_task(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let task = in_tenant(&scope, &session, true, async |db| {
        let title = JsonObject::parse(&body)?.string("title")?;
        tasks::create(db, parse_id(&id)?, &title).await
    })
    .await?;
    reply(StatusCode::CREATED, "task", task)
}
