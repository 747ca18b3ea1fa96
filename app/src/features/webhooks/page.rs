//! Webhook endpoints and their delivery logs. The same manager serves the
//! console (`/console/webhooks`: the platform's endpoints, every tenant's
//! events) and a tenant's admin area (`/admin/webhooks`: that tenant's
//! endpoints and events); the server functions decide whose endpoints from
//! the host and session.

use crate::components::{
    action_error, cleared_on_success, loaded, versions, ConsoleShell, Field, FormError, ListTable,
    Paging, PagingButtons, PagingFilter, RowAction, TenantShell, BUTTON, BUTTON_QUIET, CARD,
};
use crate::dto::DeliveryState;
use crate::features::webhooks::api::{
    list_webhooks, webhook_deliveries, CreateWebhook, DeliveryDto, RemoveWebhook, ResendDelivery,
    RotateWebhookSecret, SetWebhookEnabled, WebhookDto, WebhookSecretDto,
};
use leptos::prelude::*;

#[component]
pub fn ConsoleWebhooks() -> impl IntoView {
    view! {
        <ConsoleShell>
            <WebhookManager scope="every tenant's lifecycle events" />
        </ConsoleShell>
    }
}

#[component]
pub fn TenantWebhooks() -> impl IntoView {
    view! {
        <TenantShell admin_only=true>
            <WebhookManager scope="this workspace's lifecycle events" />
        </TenantShell>
    }
}

#[component]
fn WebhookManager(scope: &'static str) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let toggle = ServerAction::<SetWebhookEnabled>::new();
    let remove = ServerAction::<RemoveWebhook>::new();
    let endpoints = Resource::new(
        move || {
            versions(&[
                create.version(),
                rotate.version(),
                toggle.version(),
                remove.version(),
            ])
        },
        |_| list_webhooks(),
    );
    let selected = RwSignal::new(None::<String>);
    // The secret from the latest creation or rotation, shown once.
    let revealed = RwSignal::new(None::<WebhookSecretDto>);
    Effect::new(move |_| {
        if let Some(Ok(s)) = create.value().get() {
            revealed.set(Some(s));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = rotate.value().get() {
            revealed.set(Some(s));
        }
    });
    let create_error = action_error(create);
    let create_form = cleared_on_success(create);
    let row_error = Signal::derive(move || {
        action_error(rotate)
            .get()
            .or(action_error(toggle).get())
            .or(action_error(remove).get())
    });
    view! {
        <div class="space-y-6">
            <section class=CARD>
                <h1 class="mb-1 text-xl font-semibold">"Webhooks"</h1>
                <p class="mb-4 text-sm text-slate-600">
                    {format!("Endpoints here receive {scope} as signed POST requests (see the ")}
                    <code>"Webhook-Signature"</code>" header: HMAC-SHA256 over "
                    <code>"<timestamp>.<body>"</code>")."
                </p>
                {move || revealed.get().map(|s| view! { <SecretBanner s /> })}
                <FormError error=row_error />
                {loaded(endpoints, move |list| view! { <EndpointTable list selected rotate toggle remove /> })}
            </section>
            <section class=CARD>
                <h2 class="mb-4 text-lg font-semibold">"Add endpoint"</h2>
                <FormError error=create_error />
                <ActionForm action=create node_ref=create_form>
                    <div class="grid gap-3 md:grid-cols-3">
                        <Field label="URL" name="url" kind="url" error=create_error />
                        <Field label="Description" name="description" error=create_error />
                        <Field label="Events (* or a list)" name="events" error=create_error />
                    </div>
                    <button type="submit" class=format!("{BUTTON} mt-3")>"Add endpoint"</button>
                </ActionForm>
            </section>
            {move || selected.get().map(|id| view! { <DeliveryLog endpoint_id=id /> })}
        </div>
    }
}

#[component]
fn SecretBanner(s: WebhookSecretDto) -> impl IntoView {
    view! {
        <div class="mb-4 rounded border border-amber-300 bg-amber-50 p-3 text-sm" role="status">
            <p class="font-medium">
                "Signing secret for " {s.endpoint.url} " — copy it now, it is not shown again:"
            </p>
            <code class="mt-1 block break-all" data-testid="webhook-secret">{s.secret}</code>
        </div>
    }
}

#[component]
fn EndpointTable(
    list: Vec<WebhookDto>,
    selected: RwSignal<Option<String>>,
    rotate: ServerAction<RotateWebhookSecret>,
    toggle: ServerAction<SetWebhookEnabled>,
    remove: ServerAction<RemoveWebhook>,
) -> impl IntoView {
    let is_empty = list.is_empty();
    view! {
        <ListTable testid="webhook-table" head=&["URL", "Events", "Secret", "State", ""] empty="No endpoints yet." is_empty=is_empty>
            {list.into_iter().map(|e| {
                let id = e.id.clone();
                let (id_log, id_rotate, id_toggle, id_remove) = (id.clone(), id.clone(), id.clone(), id.clone());
                let enable_value = if e.enabled { "false" } else { "true" };
                let url_attr = e.url.clone();
                view! {
                    <tr class="border-b align-top" data-url=url_attr>
                        <td class="py-2">
                            <span class="break-all font-mono text-xs">{e.url}</span>
                            <span class="block text-xs text-slate-500">{e.description}</span>
                        </td>
                        <td class="text-xs">{e.events.join(", ")}</td>
                        <td class="font-mono text-xs">
                            {e.secret_hint}
                            {e.previous_secret_until.map(|t| view! {
                                <span class="block text-amber-700">{format!("previous secret valid until {t}")}</span>
                            })}
                        </td>
                        <td>{if e.enabled { "enabled" } else { "disabled" }}</td>
                        <td class="space-y-1 text-right">
                            <button type="button" class=BUTTON_QUIET
                                on:click=move |_| selected.set(Some(id_log.clone()))>"Deliveries"</button>
                            <RowAction action=rotate name="endpoint_id" value=id_rotate label="Rotate secret" class="text-xs underline" />
                            <ActionForm action=toggle>
                                <input type="hidden" name="endpoint_id" value=id_toggle />
                                <input type="hidden" name="enabled" value=enable_value />
                                <button type="submit" class="text-xs underline">
                                    {if e.enabled { "Disable" } else { "Enable" }}
                                </button>
                            </ActionForm>
                            <RowAction action=remove name="endpoint_id" value=id_remove label="Remove" class="text-xs text-red-700 underline" />
                        </td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
    .into_any()
}

/// The endpoint's latest deliveries, refreshed every two seconds while open.
#[component]
fn DeliveryLog(endpoint_id: String) -> impl IntoView {
    let resend = ServerAction::<ResendDelivery>::new();
    let tick = RwSignal::new(0u32);
    let paging = Paging::default();
    let log = Resource::new(
        {
            let id = endpoint_id.clone();
            move || {
                (
                    id.clone(),
                    paging.filter.get(),
                    paging.order.get(),
                    paging.after(),
                    tick.get(),
                    resend.version().get(),
                )
            }
        },
        |(id, status, order, after, ..)| {
            webhook_deliveries(id, Some(status), Some(order), Some(after))
        },
    );
    Effect::new(move |_| {
        tick.get();
        set_timeout(
            move || tick.update(|n| *n += 1),
            std::time::Duration::from_secs(2),
        );
    });
    let error = action_error(resend);
    view! {
        <section class=CARD>
            <h2 class="mb-4 text-lg font-semibold">"Delivery log"</h2>
            <FormError error />
            <PagingFilter paging label="Show deliveries" options=&[
                ("", "Every delivery"), ("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed"),
            ] />
            {loaded(log, move |page| view! {
                <DeliveryTable rows=page.rows resend />
                <PagingButtons paging next=page.next />
            })}
        </section>
    }
}

#[component]
fn DeliveryTable(rows: Vec<DeliveryDto>, resend: ServerAction<ResendDelivery>) -> impl IntoView {
    let is_empty = rows.is_empty();
    view! {
        <ListTable testid="delivery-table" head=&["Event", "Tenant", "Status", "Attempts", "Last answer", "When", ""] empty="No deliveries yet." is_empty=is_empty>
            {rows.into_iter().map(|d| {
                let tone = match d.status {
                    DeliveryState::Delivered => "text-green-700",
                    DeliveryState::Failed => "text-red-700",
                    DeliveryState::Pending => "text-amber-700",
                };
                let answer = match (d.last_status, d.last_error.clone()) {
                    (Some(code), _) => code.to_string(),
                    (None, Some(e)) => e,
                    (None, None) => "—".into(),
                };
                let id = d.id.clone();
                let (event_attr, status_attr) = (d.event_type.clone(), d.status.as_str());
                view! {
                    <tr class="border-b align-top" data-event=event_attr data-status=status_attr>
                        <td class="py-1 font-mono text-xs">{d.event_type}</td>
                        <td>{d.tenant_slug}</td>
                        <td class=tone>
                            {d.status.as_str()}
                            {d.next_attempt_at.map(|t| view! { <span class="block text-xs">{format!("next try {t}")}</span> })}
                        </td>
                        <td>{d.attempts}</td>
                        <td class="text-xs" title=d.last_response.unwrap_or_default()>{answer}</td>
                        <td class="text-xs">{d.last_attempt_at.unwrap_or(d.created_at)}</td>
                        <td>
                            <RowAction action=resend name="delivery_id" value=id label="Resend" class="text-xs underline" />
                        </td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
    .into_any()
}
