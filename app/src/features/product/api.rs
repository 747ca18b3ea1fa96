//! The sample product: projects and tasks: the server functions (each body one call into
//! `server.rs`) and the data they carry to the browser.

use crate::dto::{ProjectDto, ProjectPage, TaskDto};
use crate::error::AppError;
use leptos::prelude::*;
use tenantry_vocab::Need;

/// What each server function here needs from its caller, declared beside
/// it: the gateway refuses a call that does not meet it before the function
/// runs, and the attack suite's privilege matrix checks each role against it.
pub const NEEDS: &[(&str, Need)] = &[
    ("list_projects", Need::Reader),
    ("get_project", Need::Reader),
    ("create_project", Need::Writer),
    ("rename_project", Need::Writer),
    ("delete_project", Need::Writer),
    ("create_task", Need::Writer),
    ("set_task_done", Need::Writer),
    ("rename_task", Need::Writer),
    ("delete_task", Need::Writer),
];

#[server]
pub async fn list_projects() -> Result<Vec<ProjectDto>, AppError> {
    Box::pin(super::server::list_projects()).await
}

#[server]
pub async fn create_project(name: String) -> Result<ProjectDto, AppError> {
    Box::pin(super::server::create_project(name)).await
}

#[server]
pub async fn rename_project(id: String, name: String) -> Result<ProjectDto, AppError> {
    Box::pin(super::server::rename_project(id, name)).await
}

#[server]
pub async fn delete_project(id: String) -> Result<(), AppError> {
    Box::pin(super::server::delete_project(id)).await
}

#[server]
pub async fn get_project(id: String) -> Result<ProjectPage, AppError> {
    Box::pin(super::server::get_project(id)).await
}

#[server]
pub async fn create_task(project_id: String, title: String) -> Result<TaskDto, AppError> {
    Box::pin(super::server::create_task(project_id, title)).await
}

#[server]
pub async fn set_task_done(task_id: String, done: bool) -> Result<TaskDto, AppError> {
    Box::pin(super::server::set_task_done(task_id, done)).await
}

#[server]
pub async fn rename_task(task_id: String, title: String) -> Result<TaskDto, AppError> {
    Box::pin(super::server::rename_task(task_id, title)).await
}

#[server]
pub async fn delete_task(task_id: String) -> Result<(), AppError> {
    Box::pin(super::server::delete_task(task_id)).await
}
