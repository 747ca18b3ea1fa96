use crate::entities::tenant::{project, task};
use crate::error::{Error, Result};
use crate::tenancy::{TenantCtx, TenantDb};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel,
    PaginatorTrait, QueryFilter, QuerySelect, Set, Statement,
};
use serde::Serialize;
use std::collections::HashMap;
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
    // One statement (projects with their task counts) rather than two: a
    // round trip is most of what a list costs. Row-level security scopes
    // both tables to the bound tenant.
    let rows = ListRow::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT p.id, p.name, p.created_at,
                COUNT(t.id) AS task_count,
                COALESCE(SUM(CASE WHEN t.done THEN 1 ELSE 0 END), 0) AS done_count
         FROM projects p LEFT JOIN tasks t ON t.project_id = p.id
         GROUP BY p.id, p.name, p.created_at
         ORDER BY p.created_at DESC",
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Project {
            id: r.id,
            name: r.name,
            task_count: r.task_count.max(0) as u64,
            done_count: r.done_count.max(0) as u64,
            created_at: r.created_at,
        })
        .collect())
}

#[derive(FromQueryResult)]
struct ListRow {
    id: Uuid,
    name: String,
    created_at: chrono::DateTime<chrono::Utc>,
    task_count: i64,
    done_count: i64,
}

pub async fn get(db: &TenantDb, id: Uuid) -> Result<Project> {
    let p = find_model(db, id).await?;
    let counts = task_counts(db, Some(id)).await?;
    Ok(with_counts(p, &counts))
}

/// Tasks and done tasks per project, counted by the database in one query.
async fn task_counts(db: &TenantDb, project: Option<Uuid>) -> Result<HashMap<Uuid, (u64, u64)>> {
    let mut query = task::Entity::find()
        .select_only()
        .column(task::Column::ProjectId)
        .column_as(task::Column::Id.count(), "total")
        .column_as(Expr::cust("SUM(CASE WHEN done THEN 1 ELSE 0 END)"), "done")
        .group_by(task::Column::ProjectId);
    if let Some(id) = project {
        query = query.filter(task::Column::ProjectId.eq(id));
    }
    let rows: Vec<(Uuid, i64, i64)> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, total, done)| (id, (total.max(0) as u64, done.max(0) as u64)))
        .collect())
}

fn with_counts(p: project::Model, counts: &HashMap<Uuid, (u64, u64)>) -> Project {
    let (task_count, done_count) = counts.get(&p.id).copied().unwrap_or_default();
    Project {
        id: p.id,
        name: p.name,
        task_count,
        done_count,
        created_at: p.created_at,
    }
}

pub(crate) async fn find_model(db: &TenantDb, id: Uuid) -> Result<project::Model> {
    project::Entity::find()
        .filter(project::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// How many projects the tenant has (what `max_projects` counts).
pub async fn count(db: &TenantDb) -> Result<u64> {
    Ok(project::Entity::find().count(db).await?)
}

/// Creates a project, within the plan's `max_projects`.
pub async fn create(ctx: &TenantCtx, db: &TenantDb, name: &str) -> Result<Project> {
    let name = parse_name(name)?;
    ctx.check_limit(crate::plans::registry::MAX_PROJECTS, count(db).await?)
        .await?;
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
