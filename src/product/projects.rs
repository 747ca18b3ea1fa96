use crate::entities::tenant::{project, task};
use crate::error::{Error, Result};
use crate::tenancy::TenantDb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub id: Uuid,
    pub name: String,
    pub task_count: u64,
    pub done_count: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "is required"));
    }
    if name.chars().count() > 120 {
        return Err(Error::invalid("name", "must be at most 120 characters"));
    }
    Ok(name.to_owned())
}

pub async fn list(db: &TenantDb) -> Result<Vec<Project>> {
    let projects = project::Entity::find()
        .order_by_desc(project::Column::CreatedAt)
        .all(db)
        .await?;
    let tasks = task::Entity::find().all(db).await?;
    Ok(projects
        .into_iter()
        .map(|p| {
            let of_project = tasks.iter().filter(|t| t.project_id == p.id);
            let task_count = of_project.clone().count() as u64;
            let done_count = of_project.filter(|t| t.done).count() as u64;
            Project {
                id: p.id,
                name: p.name,
                task_count,
                done_count,
                created_at: p.created_at,
            }
        })
        .collect())
}

pub async fn get(db: &TenantDb, id: Uuid) -> Result<Project> {
    let p = find_model(db, id).await?;
    let task_count = task::Entity::find()
        .filter(task::Column::ProjectId.eq(id))
        .count(db)
        .await?;
    let done_count = task::Entity::find()
        .filter(task::Column::ProjectId.eq(id))
        .filter(task::Column::Done.eq(true))
        .count(db)
        .await?;
    Ok(Project {
        id: p.id,
        name: p.name,
        task_count,
        done_count,
        created_at: p.created_at,
    })
}

pub(crate) async fn find_model(db: &TenantDb, id: Uuid) -> Result<project::Model> {
    project::Entity::find()
        .filter(project::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn create(db: &TenantDb, name: &str) -> Result<Project> {
    let name = parse_name(name)?;
    let now = chrono::Utc::now();
    let p = db
        .insert(project::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .await?;
    Ok(Project {
        id: p.id,
        name: p.name,
        task_count: 0,
        done_count: 0,
        created_at: p.created_at,
    })
}

pub async fn rename(db: &TenantDb, id: Uuid, name: &str) -> Result<Project> {
    let name = parse_name(name)?;
    let mut row = find_model(db, id).await?.into_active_model();
    row.name = Set(name);
    row.updated_at = Set(chrono::Utc::now());
    row.update(db).await?;
    get(db, id).await
}

pub async fn delete(db: &TenantDb, id: Uuid) -> Result<()> {
    let result = project::Entity::delete_many()
        .filter(project::Column::Id.eq(id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}
