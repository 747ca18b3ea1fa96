use super::body::{member, parse_id, JsonObject};
use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use tenantry::product::{projects, tasks};
use tenantry::tenancy::{RequestScope, TenantDb};
use tower_sessions::Session;

type Scope = Extension<RequestScope>;

/// Runs `work` in the caller's tenant and commits.
async fn in_tenant<T, F>(
    scope: &Scope,
    session: &Session,
    writes: bool,
    work: F,
) -> Result<T, ApiError>
where
    F: AsyncFnOnce(&TenantDb) -> tenantry::Result<T>,
{
    let (ctx, _) = member(scope, session).await?;
    let db = if writes {
        ctx.db_for_write().await?
    } else {
        ctx.db().await?
    };
    let out = work(&db).await?;
    db.commit().await.map_err(tenantry::Error::from)?;
    Ok(out)
}

pub async fn list(scope: Scope, session: Session) -> Result<Response, ApiError> {
    let list = in_tenant(&scope, &session, false, async |db| projects::list(db).await).await?;
    Ok(Json(json!({ "projects": list })).into_response())
}

pub async fn create(scope: Scope, session: Session, body: Bytes) -> Result<Response, ApiError> {
    let (ctx, _) = member(&scope, &session).await?;
    let name = JsonObject::parse(&body)?.string("name")?;
    let db = ctx.db_for_write().await?;
    let project = projects::create(&db, &name).await?;
    db.commit().await.map_err(tenantry::Error::from)?;
    Ok((StatusCode::CREATED, Json(json!({ "project": project }))).into_response())
}

pub async fn show(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let project = in_tenant(&scope, &session, false, async |db| {
        projects::get(db, id).await
    })
    .await?;
    Ok(Json(json!({ "project": project })).into_response())
}

pub async fn rename(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let name = JsonObject::parse(&body)?.string("name")?;
    let project = in_tenant(&scope, &session, true, async |db| {
        projects::rename(db, id, &name).await
    })
    .await?;
    Ok(Json(json!({ "project": project })).into_response())
}

pub async fn remove(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    in_tenant(&scope, &session, true, async |db| {
        projects::delete(db, id).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_tasks(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let list = in_tenant(&scope, &session, false, async |db| {
        tasks::list(db, id).await
    })
    .await?;
    Ok(Json(json!({ "tasks": list })).into_response())
}

pub async fn create_task(
    scope: Scope,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let title = JsonObject::parse(&body)?.string("title")?;
    let task = in_tenant(&scope, &session, true, async |db| {
        tasks::create(db, id, &title).await
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "task": task }))).into_response())
}
