//! The console's data-key panel: which key generation seals the tenant's
//! data, and a rotation with its progress, refreshed while it runs.

use crate::components::{action_error, loaded, FormError, BUTTON, CARD};
use crate::features::data_keys::api::{data_key_status, DataKeyDto, RotateDataKey};
use leptos::prelude::*;

#[component]
pub fn DataKeyPanel(slug: String) -> impl IntoView {
    let rotate = ServerAction::<RotateDataKey>::new();
    let tick = RwSignal::new(0u32);
    let status = Resource::new(
        {
            let slug = slug.clone();
            move || (slug.clone(), tick.get(), rotate.version().get())
        },
        |(slug, ..)| data_key_status(slug),
    );
    // While a rotation runs, look again every second.
    Effect::new(move |_| {
        let poll = move || {
            let busy = status
                .get_untracked()
                .and_then(|r| r.ok())
                .and_then(|s| s.rotation)
                .is_some_and(|r| r.is_unfinished());
            if busy {
                tick.update(|n| *n += 1);
            }
        };
        if let Ok(interval) = set_interval_with_handle(poll, std::time::Duration::from_secs(1)) {
            on_cleanup(move || interval.clear());
        }
    });
    let error = action_error(rotate);
    view! {
        <section class=format!("{CARD} mt-6") data-testid="data-key">
            <h2 class="mb-1 text-lg font-semibold">"Data key"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "This workspace's secrets, files and export archives are encrypted with its own key. Rotating it encrypts everything again with a new key in the background, then destroys the old one; the workspace keeps working meanwhile."
            </p>
            {loaded(status, move |s| view! { <KeyState s /> })}
            <ActionForm action=rotate attr:class="mt-3">
                <input type="hidden" name="slug" value=slug.clone() />
                <button type="submit" class=BUTTON data-testid="rotate-key">"Rotate key"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}

#[component]
fn KeyState(s: DataKeyDto) -> impl IntoView {
    let generations = s
        .generations
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let rotation = s.rotation.map(|r| {
        let total = r.values_total + r.objects_total;
        let done = r.values_done + r.objects_done;
        let percent = if r.state == "done" { 100 } else if total > 0 { done * 100 / total } else { 0 };
        let label = match r.state.as_str() {
            "waiting" => "Waiting for every server to know the new key".to_owned(),
            "sealing" => format!("Encrypting again: {done} of {total}"),
            "done" => format!("Done: {} values and {} files encrypted again", r.values_done, r.objects_done),
            _ => r.error.clone().unwrap_or_else(|| "Failed".into()),
        };
        view! {
            <div class="mt-2 text-sm" data-testid="key-rotation" data-state=r.state.clone()>
                <p>{format!("Rotation to generation {} (by {}, {}): ", r.generation, r.requested_by, r.created_at)}{label}</p>
                <div class="mt-1 h-2 w-full rounded bg-slate-100" role="progressbar" aria-label="Key rotation" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string()>
                    <div class="h-2 rounded bg-brand" style:width=format!("{percent}%")></div>
                </div>
            </div>
        }
    });
    view! {
        <p class="text-sm">
            "Sealing with generation "<strong data-testid="sealing-generation">{s.sealing}</strong>
            <span class="text-slate-500">{format!(" · generations held: {generations}")}</span>
        </p>
        {rotation}
    }
}
