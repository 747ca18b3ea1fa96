use super::projects;
use crate::entities::tenant::task;
use crate::error::{Error, Result};
use crate::tenancy::TenantDb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub done: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn parse_title(raw: &str) -> Result<String> {
    let title = raw.trim();
    if title.is_empty() {
        return Err(Error::invalid("title", "is required"));
    }
    if title.chars().count() > 200 {
        return Err(Error::invalid("title", "must be at most 200 characters"));
    }
    Ok(title.to_owned())
}

fn to_task(t: task::Model) -> Task {
    Task {
        id: t.id,
        project_id: t.project_id,
        title: t.title,
        done: t.done,
        created_at: t.created_at,
    }
}

/// The project's tasks, oldest first; a 404 if the project is not the tenant's.
pub async fn list(db: &TenantDb, project_id: Uuid) -> Result<Vec<Task>> {
    projects::find_model(db, project_id).await?;
    let tasks = task::Entity::find()
        .filter(task::Column::ProjectId.eq(project_id))
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?;
    Ok(tasks.into_iter().map(to_task).collect())
}

pub async fn create(db: &TenantDb, project_id: Uuid, title: &str) -> Result<Task> {
    let title = parse_title(title)?;
    projects::find_model(db, project_id).await?;
    let t = db
        .insert(task::ActiveModel {
            id: Set(Uuid::now_v7()),
            project_id: Set(project_id),
            title: Set(title),
            done: Set(false),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .await?;
    Ok(to_task(t))
}

async fn find_model(db: &TenantDb, id: Uuid) -> Result<task::Model> {
    task::Entity::find()
        .filter(task::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Changes the title and/or the done flag.
pub async fn update(
    db: &TenantDb,
    id: Uuid,
    title: Option<&str>,
    done: Option<bool>,
) -> Result<Task> {
    let mut row = find_model(db, id).await?.into_active_model();
    if let Some(title) = title {
        row.title = Set(parse_title(title)?);
    }
    if let Some(done) = done {
        row.done = Set(done);
    }
    Ok(to_task(row.update(db).await?))
}

pub async fn delete(db: &TenantDb, id: Uuid) -> Result<()> {
    let result = task::Entity::delete_many()
        .filter(task::Column::Id.eq(id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}
