use crate::components::{
    action_error, cleared_on_success, loaded, EmptyState, Field, FormError, NavLink, TenantShell,
    BUTTON, CARD,
};
use crate::dto::ProjectDto;
use crate::features::product::api::{list_projects, CreateProject};
use leptos::prelude::*;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let projects = Resource::new(move || create.version().get(), |_| list_projects());
    let error = action_error(create);
    let form = cleared_on_success(create);
    view! {
        <TenantShell>
            <div class="grid gap-6 md:grid-cols-3">
                <section class=format!("{CARD} md:col-span-2")>
                    <h1 class="mb-4 text-xl font-semibold">"Projects"</h1>
                    {loaded(projects, move |list| view! { <ProjectList list /> })}
                </section>
                <section class=CARD id="new-project">
                    <h2 class="mb-4 text-lg font-semibold">"New project"</h2>
                    <FormError error />
                    <ActionForm action=create node_ref=form>
                        <div class="space-y-3">
                            <Field label="Project name" name="name" error />
                            <button type="submit" class=BUTTON>"Create project"</button>
                        </div>
                    </ActionForm>
                </section>
            </div>
        </TenantShell>
    }
}

#[component]
fn ProjectList(list: Vec<ProjectDto>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <EmptyState
                message="No projects yet. A project holds your team's tasks; start with the one you are working on now."
                first=Some(("Create your first project", "#new-project"))
            />
        }
        .into_any();
    }
    view! {
        <ul class="divide-y" data-testid="project-list">
            {list
                .into_iter()
                .map(|p| view! {
                    <li class="flex items-center justify-between py-2">
                        <NavLink href=format!("/projects/{}", p.id) attr:class="font-medium text-brand-text underline">{p.name}</NavLink>
                        <span class="text-sm text-slate-500">{format!("{}/{} done", p.done_count, p.task_count)}</span>
                    </li>
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
