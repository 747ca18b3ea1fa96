use crate::components::{
    action_error, cleared_on_success, loaded, use_flag, Field, FormError, RowAction, TenantShell,
    BUTTON, BUTTON_DANGER, BUTTON_QUIET, CARD, INPUT,
};
use crate::dto::{ProjectPage as ProjectData, TaskDto};
use crate::error::AppError;
use crate::features::product::api::{
    get_project, CreateTask, DeleteProject, DeleteTask, RenameProject, RenameTask, SetTaskDone,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct TaskActions {
    done: ServerAction<SetTaskDone>,
    rename: ServerAction<RenameTask>,
    delete: ServerAction<DeleteTask>,
}

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let rename = ServerAction::<RenameProject>::new();
    let delete = ServerAction::<DeleteProject>::new();
    let create_task = ServerAction::<CreateTask>::new();
    let tasks = TaskActions {
        done: ServerAction::new(),
        rename: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            (
                id(),
                rename.version().get(),
                create_task.version().get(),
                tasks.done.version().get(),
                tasks.rename.version().get(),
                tasks.delete.version().get(),
            )
        },
        |(id, ..)| get_project(id),
    );
    let error = Signal::derive(move || {
        [
            action_error(rename).get(),
            action_error(delete).get(),
            action_error(create_task).get(),
            action_error(tasks.done).get(),
            action_error(tasks.rename).get(),
            action_error(tasks.delete).get(),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    view! {
        <TenantShell>
            {loaded(data, move |page| view! { <Project page rename delete create_task tasks error /> })}
        </TenantShell>
    }
}

#[component]
fn Project(
    page: ProjectData,
    rename: ServerAction<RenameProject>,
    delete: ServerAction<DeleteProject>,
    create_task: ServerAction<CreateTask>,
    tasks: TaskActions,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let p = page.project;
    let task_form = cleared_on_success(create_task);
    let (id_rename, id_delete, id_task) = (p.id.clone(), p.id.clone(), p.id.clone());
    let name = p.name.clone();
    // The sample product's flagged feature: a board of the tasks by state.
    let board = use_flag("new_board");
    let board_tasks = page.tasks.clone();
    view! {
        <section class=CARD>
            <h1 class="text-xl font-semibold" data-testid="project-name">{p.name.clone()}</h1>
            <p class="text-sm text-slate-500">{format!("{}/{} tasks done", p.done_count, p.task_count)}</p>
            <FormError error />
            <div class="mt-4 flex flex-wrap items-end gap-4">
                <ActionForm action=rename>
                    <input type="hidden" name="id" value=id_rename />
                    <div class="flex items-end gap-2">
                        <Field label="Rename project" name="name" value=name error />
                        <button type="submit" class=BUTTON_QUIET>"Rename"</button>
                    </div>
                </ActionForm>
                <RowAction action=delete name="id" value=id_delete label="Delete project" class=BUTTON_DANGER />
            </div>
        </section>
        {move || board.get().then(|| view! { <Board tasks=board_tasks.clone() /> })}
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Tasks"</h2>
            <ul class="divide-y" data-testid="task-list">
                {page.tasks.into_iter().map(|t| view! { <TaskRow t tasks /> }).collect_view()}
            </ul>
            <ActionForm action=create_task node_ref=task_form>
                <input type="hidden" name="project_id" value=id_task />
                <div class="mt-4 flex items-end gap-2">
                    <Field label="New task" name="title" error />
                    <button type="submit" class=BUTTON>"Add task"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn TaskRow(t: TaskDto, tasks: TaskActions) -> impl IntoView {
    let next = if t.done { "false" } else { "true" };
    let label = if t.done { "Reopen" } else { "Complete" };
    let (id_rename, id_done, id_delete) = (t.id.clone(), t.id.clone(), t.id.clone());
    let title = t.title.clone();
    view! {
        <li class="flex items-center gap-3 py-2" data-done=t.done.to_string()>
            <span class=if t.done { "flex-1 line-through text-slate-400" } else { "flex-1" }>{t.title.clone()}</span>
            <ActionForm action=tasks.rename>
                <input type="hidden" name="task_id" value=id_rename />
                <input class=INPUT name="title" value=title aria-label="Task title" />
            </ActionForm>
            <ActionForm action=tasks.done>
                <input type="hidden" name="task_id" value=id_done />
                <input type="hidden" name="done" value=next />
                <button type="submit" class=BUTTON_QUIET>{label}</button>
            </ActionForm>
            <ActionForm action=tasks.delete>
                <input type="hidden" name="task_id" value=id_delete />
                <button type="submit" class="text-sm text-red-700 underline">"Delete"</button>
            </ActionForm>
        </li>
    }
}

/// The tasks as two columns, to do and done (behind the `new_board` flag).
#[component]
fn Board(tasks: Vec<TaskDto>) -> impl IntoView {
    let (done, open): (Vec<TaskDto>, Vec<TaskDto>) = tasks.into_iter().partition(|t| t.done);
    let column = |title: &'static str, list: Vec<TaskDto>| {
        view! {
            <div class="flex-1 rounded bg-slate-50 p-3">
                <h3 class="mb-2 text-sm font-semibold text-slate-600">{format!("{title} ({})", list.len())}</h3>
                <ul class="space-y-2">
                    {list.into_iter().map(|t| view! { <li class="rounded border border-slate-200 bg-surface px-2 py-1 text-sm">{t.title}</li> }).collect_view()}
                </ul>
            </div>
        }
    };
    view! {
        <section class=format!("{CARD} mt-6") data-testid="board">
            <h2 class="mb-3 text-lg font-semibold">"Board " <span class="rounded bg-accent px-1.5 text-xs text-white">"new"</span></h2>
            <div class="flex gap-4">{column("To do", open)}{column("Done", done)}</div>
        </section>
    }
}
