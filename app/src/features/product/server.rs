use crate::backend::page_reads::PageReads;
use crate::backend::{fail, member_subject, parse_id};
use crate::dto::{ProjectDto, ProjectPage, TaskDto};
use crate::error::AppError;
use tenantry::authz::Need;
use tenantry::identity::caller::run_as;
use tenantry::identity::Caller;
use tenantry::product::projects::{self, Project};
use tenantry::product::tasks::{self, Task};
use tenantry::tenancy::{TenantCtx, TenantDb};

fn project_dto(p: Project) -> ProjectDto {
    ProjectDto {
        id: p.id.to_string(),
        name: p.name,
        task_count: p.task_count,
        done_count: p.done_count,
    }
}

fn task_dto(t: Task) -> TaskDto {
    TaskDto {
        id: t.id.to_string(),
        title: t.title,
        done: t.done,
    }
}

/// Runs `work` as the signed-in member, once they meet `need`, in one
/// transaction of their tenant, and commits it.
async fn as_member<T, F>(need: Need, work: F) -> Result<T, AppError>
where
    F: AsyncFnOnce(&TenantCtx, &TenantDb) -> tenantry::Result<T>,
{
    let (ctx, subject) = member_subject().await?;
    let caller = Caller::User(subject);
    run_as(&ctx, &caller, need, async |db, _| work(&ctx, db).await)
        .await
        .map_err(fail)
}

async fn write<T, F>(work: F) -> Result<T, AppError>
where
    F: AsyncFnOnce(&TenantDb) -> tenantry::Result<T>,
{
    as_member(Need::Writer, async |_, db| work(db).await).await
}

/// Runs `work` as a signed-in member who may read: in the page render's
/// shared read transaction when there is one (`PageReads`), otherwise in a
/// transaction of its own.
async fn read<T, F>(work: F) -> Result<T, AppError>
where
    F: AsyncFnOnce(&TenantDb) -> tenantry::Result<T>,
{
    if let Some(reads) = PageReads::of_render() {
        let (ctx, subject) = member_subject().await?;
        // Nobody signed in: refused below without a transaction.
        if let Some(subject) = subject {
            let shared = reads.open(&ctx, subject).await?;
            let db = shared.for_reader(&ctx)?;
            return work(db).await.map_err(fail);
        }
    }
    as_member(Need::Reader, async |_, db| work(db).await).await
}

pub async fn list_projects() -> Result<Vec<ProjectDto>, AppError> {
    read(async |db| projects::list(db).await)
        .await
        .map(|v| v.into_iter().map(project_dto).collect())
}

pub async fn create_project(name: String) -> Result<ProjectDto, AppError> {
    as_member(Need::Writer, async |ctx, db| {
        projects::create(ctx, db, &name).await
    })
    .await
    .map(project_dto)
}

pub async fn rename_project(id: String, name: String) -> Result<ProjectDto, AppError> {
    let id = parse_id(&id)?;
    write(async |db| projects::rename(db, id, &name).await)
        .await
        .map(project_dto)
}

pub async fn delete_project(id: String) -> Result<(), AppError> {
    let id = parse_id(&id)?;
    write(async |db| projects::delete(db, id).await).await?;
    leptos_axum::redirect("/");
    Ok(())
}

pub async fn get_project(id: String) -> Result<ProjectPage, AppError> {
    let id = parse_id(&id)?;
    read(async |db| {
        let project = projects::get(db, id).await?;
        let tasks = tasks::list(db, id).await?;
        Ok(ProjectPage {
            project: project_dto(project),
            tasks: tasks.into_iter().map(task_dto).collect(),
        })
    })
    .await
}

pub async fn create_task(project_id: String, title: String) -> Result<TaskDto, AppError> {
    let project_id = parse_id(&project_id)?;
    write(async |db| tasks::create(db, project_id, &title).await)
        .await
        .map(task_dto)
}

pub async fn set_task_done(task_id: String, done: bool) -> Result<TaskDto, AppError> {
    let id = parse_id(&task_id)?;
    write(async |db| tasks::update(db, id, None, Some(done)).await)
        .await
        .map(task_dto)
}

pub async fn rename_task(task_id: String, title: String) -> Result<TaskDto, AppError> {
    let id = parse_id(&task_id)?;
    write(async |db| tasks::update(db, id, Some(&title), None).await)
        .await
        .map(task_dto)
}

pub async fn delete_task(task_id: String) -> Result<(), AppError> {
    let id = parse_id(&task_id)?;
    write(async |db| tasks::delete(db, id).await).await
}
