//! The tenant page's placement panel: where the tenant's rows live, a move to
//! another placement, and the move's progress (polled while it runs).

use crate::components::{action_error, FormError, BUTTON, BUTTON_QUIET, CARD, INPUT};
use crate::dto::MoveDto;
use crate::features::placements::api::{move_status, MoveTenant, RollbackMove};
use leptos::prelude::*;

#[component]
pub fn Placement(
    slug: String,
    placement: String,
    /// Bumped when a move finishes, so the page reloads the tenant.
    moved: RwSignal<u32>,
) -> impl IntoView {
    let start = ServerAction::<MoveTenant>::new();
    let rollback = ServerAction::<RollbackMove>::new();
    let tick = RwSignal::new(0u32);
    let status = Resource::new(
        {
            let slug = slug.clone();
            move || {
                (
                    slug.clone(),
                    tick.get(),
                    start.version().get(),
                    rollback.version().get(),
                )
            }
        },
        |(slug, _, _, _)| move_status(slug),
    );
    let running = move || {
        status
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .is_some_and(|m| !m.finished && m.error.is_none())
    };
    // Poll once a second while a move runs (browser only: effects never run
    // on the server).
    Effect::new(move |was_running: Option<bool>| {
        let now = running();
        if was_running == Some(true) && !now {
            moved.update(|n| *n += 1);
        }
        if now {
            set_timeout(
                move || tick.update(|n| *n += 1),
                std::time::Duration::from_secs(1),
            );
        }
        now
    });
    let error = Signal::derive(move || action_error(start).get().or(action_error(rollback).get()));
    let targets: Vec<&'static str> = ["pool", "schema", "database"]
        .into_iter()
        .filter(|p| *p != placement)
        .collect();
    let slug_rollback = slug.clone();
    view! {
        <section class=format!("{CARD} mt-6") data-testid="placement-panel">
            <h2 class="mb-3 text-lg font-semibold">"Placement"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "The tenant keeps serving while it moves; writes pause for the short switch-over."
            </p>
            <FormError error />
            <ActionForm action=start>
                <input type="hidden" name="slug" value=slug />
                <div class="flex items-end gap-2">
                    <label class="text-sm">
                        <span class="block text-slate-700">"Move to"</span>
                        <select class=INPUT name="to">
                            {targets.into_iter().map(|p| view! { <option value=p>{p}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class=BUTTON disabled=running>"Move tenant"</button>
                </div>
            </ActionForm>
            <Transition fallback=|| ()>
                {move || status.get().and_then(|r| r.ok()).flatten().map(|m| view! {
                    <MoveProgress m slug=slug_rollback.clone() rollback />
                })}
            </Transition>
        </section>
    }
}

#[component]
fn MoveProgress(m: MoveDto, slug: String, rollback: ServerAction<RollbackMove>) -> impl IntoView {
    let percent = match m.rows_total {
        0 if m.finished || m.step != "copying" => 100,
        0 => 0,
        total => (m.rows_copied * 100 / total).clamp(0, 100),
    };
    let stalled = m.error.is_some() && !m.finished;
    view! {
        <div class="mt-4 text-sm" data-testid="move-progress" data-step=m.step.clone()>
            <p>
                "Move " {m.from.clone()} " → " {m.to.clone()} ": "
                <strong>{m.step.replace('_', " ")}</strong>
                {m.freeze_ms.map(|ms| format!(" (writes paused {ms} ms)"))}
            </p>
            <div class="mt-2 h-2 w-full rounded bg-slate-200">
                <div class="h-2 rounded bg-indigo-600" style:width=format!("{percent}%")></div>
            </div>
            <p class="mt-1 text-slate-500">{format!("{} of {} rows copied", m.rows_copied, m.rows_total)}</p>
            {m.error.clone().map(|e| view! { <p class="mt-2 text-red-700" role="alert">{e}</p> })}
            {stalled.then(|| view! {
                <ActionForm action=rollback>
                    <input type="hidden" name="slug" value=slug />
                    <p class="mt-2 text-slate-600">"Submit the move again to resume it, or:"</p>
                    <button type="submit" class=BUTTON_QUIET>"Roll back the move"</button>
                </ActionForm>
            })}
        </div>
    }
}
