//! Data exports: request one, watch its progress, download it. On the
//! console (`slug` names the tenant) a superadmin can request and follow
//! exports; the archive itself is downloaded only on the tenant's own host.
//! Beside them, the tenant's other long work: its background jobs and a move
//! of its data under way, with progress.

use crate::components::{
    action_error, loaded, FormError, Paging, PagingButtons, PagingFilter, RowAction, TenantShell,
    BUTTON, CARD,
};
use crate::dto::{ExportState, TenantWorkDto};
use crate::features::exports::api::{list_exports, ExportDto, RequestExport};
use crate::features::jobs::api::tenant_work;
use leptos::prelude::*;

#[component]
pub fn TenantData() -> impl IntoView {
    view! {
        <TenantShell admin_only=true>
            <ExportPanel slug=String::new() />
            <WorkPanel slug=String::new() />
        </TenantShell>
    }
}

/// The tenant's background jobs and a move under way, refreshed every two
/// seconds while any of it is unfinished.
#[component]
pub fn WorkPanel(slug: String) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let paging = Paging::default();
    let work = Resource::new(
        move || {
            (
                slug.clone(),
                paging.filter.get(),
                paging.order.get(),
                paging.after(),
                tick.get(),
            )
        },
        |(slug, state, order, after, _)| tenant_work(slug, Some(state), Some(order), Some(after)),
    );
    Effect::new(move |_| {
        let poll = move || {
            let busy = work.get_untracked().and_then(|r| r.ok()).is_some_and(|w| {
                w.moving.is_some() || w.jobs.rows.iter().any(|j| j.state.is_unfinished())
            });
            if busy {
                tick.update(|n| *n += 1);
            }
        };
        if let Ok(interval) = set_interval_with_handle(poll, std::time::Duration::from_secs(2)) {
            on_cleanup(move || interval.clear());
        }
    });
    view! {
        <section class=format!("{CARD} mt-6") data-testid="tenant-work">
            <h2 class="mb-1 text-lg font-semibold">"Background work"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "Work the platform does for this workspace in the background: emails, webhook deliveries, exports, and a move of its data between databases."
            </p>
            <PagingFilter paging label="Show jobs" options=&[
                ("", "Every job"), ("queued", "Queued"), ("running", "Running"), ("done", "Done"),
                ("dead", "Dead (out of attempts)"), ("cancelled", "Cancelled"),
            ] />
            {loaded(work, move |w| view! { <WorkList work=w paging /> })}
        </section>
    }
}

#[component]
fn WorkList(work: TenantWorkDto, paging: Paging) -> impl IntoView {
    let moving = work.moving.map(|m| {
        let percent = if m.rows_total > 0 { m.rows_copied * 100 / m.rows_total } else { 0 };
        view! {
            <div class="mb-3 rounded border border-amber-300 bg-amber-50 p-2 text-sm" data-testid="move-progress">
                <p>{format!("Moving from {} to {}: {}", m.from, m.to, m.step)}</p>
                <div class="mt-1 h-2 w-full rounded bg-slate-100" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string()>
                    <div class="h-2 rounded bg-amber-600" style:width=format!("{percent}%")></div>
                </div>
                <p class="mt-1 text-xs text-slate-500">{format!("{} of {} rows copied", m.rows_copied, m.rows_total)}</p>
            </div>
        }
    });
    let (jobs, next) = (work.jobs.rows, work.jobs.next);
    let empty = jobs.is_empty();
    view! {
        {moving}
        {empty.then(|| view! { <p class="text-sm text-slate-500">"No background work yet."</p> })}
        <ul class="space-y-1 text-sm" data-testid="job-list">
            {jobs.into_iter().map(|j| view! {
                <li class="flex flex-wrap items-center gap-3 rounded border border-slate-200 px-2 py-1" data-kind=j.kind.clone() data-state=j.state.as_str()>
                    <span class="font-mono">{j.kind.clone()}</span>
                    <span class="font-medium">{j.state.as_str()}</span>
                    <span class="text-xs text-slate-500">{format!("attempt {} of {} · {}", j.attempts, j.max_attempts, j.created_at)}</span>
                    {j.last_error.clone().map(|e| view! { <span class="w-full break-all text-xs text-red-700">{e}</span> })}
                </li>
            }).collect_view()}
        </ul>
        <PagingButtons paging next />
    }
}

#[component]
pub fn ExportPanel(slug: String) -> impl IntoView {
    let request = ServerAction::<RequestExport>::new();
    let tick = RwSignal::new(0u32);
    let exports = Resource::new(
        {
            let slug = slug.clone();
            move || (slug.clone(), tick.get(), request.version().get())
        },
        |(slug, ..)| list_exports(slug),
    );
    // While an export is being produced, fetch the list once a second; also
    // while the export just requested is not in the list yet (a list fetched
    // before the request may arrive after it). One interval for the panel's
    // life (an Effect runs only in the browser), so no update can be missed
    // between one poll and the next.
    Effect::new(move |_| {
        let poll = move || {
            let requested = request
                .value()
                .get_untracked()
                .and_then(|r| r.ok())
                .map(|e| e.id);
            let busy = exports
                .get_untracked()
                .and_then(|r| r.ok())
                .is_some_and(|list| {
                    let missing = requested
                        .as_ref()
                        .is_some_and(|id| list.iter().all(|e| &e.id != id));
                    missing || list.iter().any(|e| e.state.is_unfinished())
                });
            if busy {
                tick.update(|n| *n += 1);
            }
        };
        if let Ok(interval) = set_interval_with_handle(poll, std::time::Duration::from_secs(1)) {
            on_cleanup(move || interval.clear());
        }
    });
    let error = action_error(request);
    view! {
        <section class=CARD data-testid="exports">
            <h2 class="mb-1 text-lg font-semibold">"Data export"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "An archive of all of this workspace's data: one JSON Lines file per table and a manifest with row counts and checksums. It stays available for a limited time."
            </p>
            <FormError error />
            <RowAction action=request name="slug" value=slug label="Export data" class=BUTTON />
            {loaded(exports, move |list| view! { <ExportList list /> })}
        </section>
    }
}

#[component]
fn ExportList(list: Vec<ExportDto>) -> impl IntoView {
    view! {
        <ul class="mt-4 space-y-2 text-sm" data-testid="export-list">
            {list.into_iter().map(|e| {
                let percent = if e.rows_total > 0 { e.rows_done * 100 / e.rows_total } else if e.state == ExportState::Done { 100 } else { 0 };
                view! {
                    <li class="rounded border border-slate-200 p-2" data-state=e.state.as_str() data-export=e.id.clone()>
                        <div class="flex items-center gap-3">
                            <span class="font-medium">{e.state.as_str()}</span>
                            <span class="text-xs text-slate-500">{e.created_at.clone()}</span>
                            {e.download_url.clone().map(|href| view! {
                                <a class="ml-auto text-indigo-700 underline" href=href download="">"Download"</a>
                            })}
                        </div>
                        <div class="mt-1 h-2 w-full rounded bg-slate-100" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string()>
                            <div class="h-2 rounded bg-indigo-600" style:width=format!("{percent}%")></div>
                        </div>
                        <p class="mt-1 text-xs text-slate-500">
                            {format!("{} of {} rows", e.rows_done, e.rows_total)}
                            {e.size_bytes.map(|b| format!(" · {b} bytes"))}
                            {e.expires_at.clone().map(|t| format!(" · available until {t}"))}
                        </p>
                        {e.sha256.clone().map(|h| view! { <p class="break-all font-mono text-xs text-slate-500">{format!("SHA-256 {h}")}</p> })}
                        {e.error.clone().map(|m| view! { <p class="text-xs text-red-700">{m}</p> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
