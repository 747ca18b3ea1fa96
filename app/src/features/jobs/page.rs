//! `/console/jobs`: the background job queue across tenants — how many jobs
//! of each kind each tenant has queued, running, dead or done — and the dead
//! and waiting jobs, each with retry (dead, cancelled) or cancel (queued).

use crate::components::{
    action_error, loaded, versions, ConsoleShell, FormError, BUTTON_QUIET, CARD,
};
use crate::dto::JobDto;
use crate::features::jobs::api::{job_overview, CancelJob, RetryJob};
use leptos::prelude::*;

#[component]
pub fn ConsoleJobs() -> impl IntoView {
    let retry = ServerAction::<RetryJob>::new();
    let cancel = ServerAction::<CancelJob>::new();
    let overview = Resource::new(
        move || versions(&[retry.version(), cancel.version()]),
        |_| job_overview(),
    );
    let retry_error = action_error(retry);
    let cancel_error = action_error(cancel);
    view! {
        <ConsoleShell>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Jobs"</h1>
                <FormError error=retry_error />
                <FormError error=cancel_error />
                {loaded(overview, move |o| view! {
                    <h2 class="mb-2 font-semibold">"By tenant and kind"</h2>
                    {(o.tenants_not_shown > 0).then(|| view! {
                        <p class="mb-2 text-sm text-amber-700">{format!("{} more tenants are not shown.", o.tenants_not_shown)}</p>
                    })}
                    <table class="mb-6 w-full text-left text-sm" data-testid="job-counts">
                        <thead class="text-slate-500">
                            <tr><th>"Tenant"</th><th>"Kind"</th><th>"Queued"</th><th>"Running"</th><th>"Dead"</th><th>"Done"</th><th>"Cancelled"</th></tr>
                        </thead>
                        <tbody>
                            {o.counts.into_iter().map(|c| view! {
                                <tr data-tenant=c.slug.clone() data-kind=c.kind.clone()>
                                    <td>{c.slug.clone()}</td>
                                    <td class="font-mono">{c.kind.clone()}</td>
                                    <td data-count="queued">{c.queued}</td>
                                    <td data-count="running">{c.running}</td>
                                    <td data-count="dead" class=dead_class(c.dead)>{c.dead}</td>
                                    <td data-count="done">{c.done}</td>
                                    <td data-count="cancelled">{c.cancelled}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <h2 class="mb-2 font-semibold">"Dead and waiting"</h2>
                    {if o.attention.is_empty() {
                        view! { <p class="text-sm text-slate-500">"Nothing dead or waiting."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="space-y-2" data-testid="job-attention">
                                {o.attention.into_iter().map(|j| view! { <JobRow job=j retry cancel /> }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                })}
            </section>
        </ConsoleShell>
    }
}

#[component]
fn JobRow(
    job: JobDto,
    retry: ServerAction<RetryJob>,
    cancel: ServerAction<CancelJob>,
) -> impl IntoView {
    let (retryable, cancellable) = (job.state.can_retry(), job.state.can_cancel());
    let (id, slug) = (job.id.clone(), job.slug.clone());
    let (id2, slug2) = (job.id.clone(), job.slug.clone());
    view! {
        <li class="rounded border border-slate-200 p-2 text-sm" data-job=job.id.clone() data-state=job.state.as_str()>
            <div class="flex items-center gap-3">
                <span class="font-medium">{job.slug.clone()}</span>
                <span class="font-mono">{job.kind.clone()}</span>
                <span>{job.state.as_str()}</span>
                <span class="text-xs text-slate-500">{format!("attempt {} of {} · due {}", job.attempts, job.max_attempts, job.run_at)}</span>
                {retryable.then(move || view! {
                    <ActionForm action=retry attr:class="ml-auto">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="job_id" value=id />
                        <button type="submit" class=BUTTON_QUIET>"Retry"</button>
                    </ActionForm>
                })}
                {cancellable.then(move || view! {
                    <ActionForm action=cancel attr:class="ml-auto">
                        <input type="hidden" name="slug" value=slug2 />
                        <input type="hidden" name="job_id" value=id2 />
                        <button type="submit" class=BUTTON_QUIET>"Cancel"</button>
                    </ActionForm>
                })}
            </div>
            {job.last_error.clone().map(|e| view! { <p class="mt-1 break-all text-xs text-red-700">{e}</p> })}
        </li>
    }
}

fn dead_class(dead: u64) -> &'static str {
    if dead > 0 {
        "text-red-700"
    } else {
        ""
    }
}
