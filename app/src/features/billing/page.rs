//! Billing: each meter's daily usage over the current period as an SVG
//! chart, the invoice preview, final invoices and the account's standing.
//! Tenant admins see it at `/admin/billing`; a superadmin on the console's
//! tenant page also grants credit, closes a period and marks invoices paid.
//! The console's `/console/meters` defines what is metered.

use crate::components::{
    action_error, loaded, ConsoleShell, Field, FormError, TenantShell, BUTTON, BUTTON_QUIET, CARD,
    INPUT,
};
use crate::dto::InvoiceStatus;
use crate::features::billing::api::{
    billing_overview, list_meters, money, BillingDto, BillingPortal, ClosePeriod, GrantCredit,
    InvoiceDto, MarkInvoicePaid, MeterChartDto, MeterDefDto, SaveMeter,
};
use leptos::prelude::*;

#[component]
pub fn TenantBilling() -> impl IntoView {
    view! {
        <TenantShell admin_only=true>
            <BillingPanel slug=String::new() />
        </TenantShell>
    }
}

#[derive(Clone, Copy)]
struct ConsoleActions {
    credit: ServerAction<GrantCredit>,
    close: ServerAction<ClosePeriod>,
    paid: ServerAction<MarkInvoicePaid>,
}

#[component]
pub fn BillingPanel(slug: String) -> impl IntoView {
    let actions = ConsoleActions {
        credit: ServerAction::new(),
        close: ServerAction::new(),
        paid: ServerAction::new(),
    };
    let overview = Resource::new(
        move || {
            (
                slug.clone(),
                actions.credit.version().get(),
                actions.close.version().get(),
                actions.paid.version().get(),
            )
        },
        |(slug, ..)| billing_overview(slug),
    );
    view! { {loaded(overview, move |b| view! { <BillingView b actions /> })} }
}

#[component]
fn BillingView(b: BillingDto, actions: ConsoleActions) -> impl IntoView {
    let past_due = b.standing == "past_due";
    view! {
        <section class=CARD data-testid="billing">
            <h2 class="text-lg font-semibold">{format!("Billing · {} · period {}", b.plan_name, b.period)}</h2>
            <p class="mt-1 text-sm" data-testid="billing-standing" data-standing=b.standing.clone()>
                {if past_due { "Past due" } else { "In good standing" }}
                {(b.credit_balance > 0).then(|| format!(" · prepaid credit {}", money(b.credit_balance, &b.preview.currency)))}
            </p>
            {b.notice.clone().map(|n| view! { <p class="mt-2 text-sm text-red-800">{n}</p> })}
            {(b.stripe && !b.on_console).then(|| view! { <PaymentDetails slug=b.slug.clone() /> })}
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Usage this period"</h2>
            <div class="grid gap-6 sm:grid-cols-2">
                {b.meters.into_iter().map(|m| view! { <UsageChart m /> }).collect_view()}
            </div>
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Invoice preview"</h2>
            <Invoice invoice=b.preview testid="invoice-preview" />
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Invoices"</h2>
            {b.invoices.is_empty().then(|| view! { <p class="text-sm text-slate-500">"No invoice yet: the first one is written when this period ends."</p> })}
            {b.invoices.into_iter().map(|i| {
                let open = i.status == InvoiceStatus::Open;
                let number = i.number.clone();
                let slug = b.slug.clone();
                let testid = format!("invoice-{}", i.number);
                view! {
                    <details class="mb-3" data-testid=testid>
                        <summary class="cursor-pointer text-sm">{format!("{} · {} · {} · {}", i.number, i.period, money(i.total, &i.currency), i.status)}</summary>
                        <Invoice invoice=i testid="invoice" />
                        {(b.on_console && open).then(|| view! {
                            <ActionForm action=actions.paid>
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="number" value=number />
                                <button type="submit" class=format!("{BUTTON_QUIET} mt-2")>"Mark paid"</button>
                            </ActionForm>
                        })}
                    </details>
                }
            }).collect_view()}
        </section>
        {b.on_console.then(|| view! { <ConsoleBilling slug=b.slug.clone() actions /> })}
    }
}

/// Opens Stripe's billing portal, where the admin enters or changes payment
/// details; Stripe brings them back here.
#[component]
fn PaymentDetails(slug: String) -> impl IntoView {
    let portal = ServerAction::<BillingPortal>::new();
    let error = action_error(portal);
    Effect::new(move |_| {
        if let Some(Ok(url)) = portal.value().get() {
            let _ = window().location().set_href(&url);
        }
    });
    view! {
        <ActionForm action=portal attr:class="mt-3">
            <input type="hidden" name="slug" value=slug />
            <button type="submit" class=BUTTON data-testid="payment-details">"Payment details"</button>
            <p class="mt-1 text-xs text-slate-500">"Entered on Stripe's pages and kept by Stripe."</p>
        </ActionForm>
        <FormError error />
    }
}

/// Daily values as bars, with the period total: plain SVG in the page.
#[component]
fn UsageChart(m: MeterChartDto) -> impl IntoView {
    const W: f64 = 300.0;
    const H: f64 = 80.0;
    let top = m.daily.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let step = W / m.daily.len().max(1) as f64;
    let bars = m
        .daily
        .iter()
        .enumerate()
        .map(|(i, (day, v))| {
            let h = (*v as f64 / top) * (H - 2.0);
            view! {
                <rect x=format!("{:.1}", i as f64 * step + 1.0) y=format!("{:.1}", H - h) width=format!("{:.1}", (step - 2.0).max(1.0)) height=format!("{h:.1}")
                    class="fill-brand" data-day=day.clone() data-value=v.to_string()>
                    <title>{format!("{day}: {v}")}</title>
                </rect>
            }
        })
        .collect_view();
    let first = m.daily.first().map(|(d, _)| d.clone()).unwrap_or_default();
    let last = m.daily.last().map(|(d, _)| d.clone()).unwrap_or_default();
    view! {
        <figure data-testid=format!("chart-{}", m.key)>
            <figcaption class="flex justify-between text-sm">
                <span class="font-medium">{m.name.clone()}</span>
                <span data-testid=format!("usage-total-{}", m.key)>{format!("{} {} ({})", m.total, m.unit, m.aggregation)}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {W} {H}") class="mt-1 h-20 w-full rounded bg-slate-50" role="img" aria-label=format!("{} per day", m.name)>
                {bars}
            </svg>
            <div class="flex justify-between text-xs text-slate-500"><span>{first}</span><span>{last}</span></div>
        </figure>
    }
}

#[component]
fn Invoice(invoice: InvoiceDto, testid: &'static str) -> impl IntoView {
    let currency = invoice.currency.clone();
    let c = currency.clone();
    view! {
        <table class="w-full text-left text-sm" data-testid=testid>
            <thead><tr class="border-b text-slate-500"><th class="py-1">"Item"</th><th>"Quantity"</th><th>"Unit"</th><th class="text-right">"Amount"</th></tr></thead>
            <tbody>
                {invoice.lines.into_iter().map(|l| {
                    let c = c.clone();
                    view! {
                        <tr class="border-b" data-prorated=l.prorated.to_string()>
                            <td class="py-1">{l.description}{(!l.tiers.is_empty()).then(|| view! { <span class="block text-xs text-slate-500">{l.tiers.clone()}</span> })}</td>
                            <td>{l.quantity}{(l.included > 0).then(|| format!(" ({} included)", l.included))}</td>
                            <td>{l.unit_amount.map(|u| money(u, &c))}</td>
                            <td class="text-right">{money(l.amount, &c)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr><td colspan="3" class="pt-2 text-right">"Subtotal"</td><td class="pt-2 text-right" data-testid=format!("{testid}-subtotal")>{money(invoice.subtotal, &currency)}</td></tr>
                {(invoice.credits_applied > 0).then(|| view! { <tr><td colspan="3" class="text-right">"Prepaid credit"</td><td class="text-right">{money(-invoice.credits_applied, &currency)}</td></tr> })}
                <tr class="font-semibold"><td colspan="3" class="text-right">"Total"</td><td class="text-right" data-testid=format!("{testid}-total")>{money(invoice.total, &currency)}</td></tr>
            </tfoot>
        </table>
    }
}

#[component]
fn ConsoleBilling(slug: String, actions: ConsoleActions) -> impl IntoView {
    let credit_error = action_error(actions.credit);
    let close_error = action_error(actions.close);
    let paid_error = action_error(actions.paid);
    let slug2 = slug.clone();
    view! {
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Platform actions"</h2>
            <FormError error=paid_error />
            <FormError error=credit_error />
            <ActionForm action=actions.credit>
                <input type="hidden" name="slug" value=slug />
                <div class="grid grid-cols-2 gap-3">
                    <Field label="Credit (minor units, e.g. cents)" name="amount" error=credit_error />
                    <Field label="Reason" name="reason" error=credit_error />
                </div>
                <button type="submit" class=format!("{BUTTON} mt-3")>"Grant prepaid credit"</button>
            </ActionForm>
            <FormError error=close_error />
            <ActionForm action=actions.close>
                <input type="hidden" name="slug" value=slug2 />
                <button type="submit" class=format!("{BUTTON_QUIET} mt-3")>"Close last period now"</button>
            </ActionForm>
        </section>
    }
}

/// The console's meters: what usage counts and how it adds up.
#[component]
pub fn ConsoleMeters() -> impl IntoView {
    let save = ServerAction::<SaveMeter>::new();
    let meters = Resource::new(move || save.version().get(), |_| list_meters());
    let error = action_error(save);
    view! {
        <ConsoleShell>
            <h1 class="mb-4 text-xl font-semibold">"Meters"</h1>
            <p class="mb-4 text-sm text-slate-600">"Usage events name a meter. Built-in meters are recorded by the platform itself."</p>
            {loaded(meters, move |list: Vec<MeterDefDto>| view! {
                <table class="mb-6 w-full text-left text-sm" data-testid="meters">
                    <thead><tr class="border-b text-slate-500"><th class="py-1">"Key"</th><th>"Name"</th><th>"Aggregation"</th><th>"Filters"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|m| view! {
                            <tr class="border-b" data-meter=m.key.clone()>
                                <td class="py-1 font-mono text-xs">{m.key.clone()}{m.built_in.then_some(" (built in)")}</td>
                                <td>{format!("{} ({})", m.name, m.unit)}</td>
                                <td>{m.aggregation.clone()}{(!m.property.is_empty()).then(|| format!(" of {}", m.property))}</td>
                                <td class="whitespace-pre font-mono text-xs">{m.filters.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <section class=CARD>
                <h2 class="mb-3 text-lg font-semibold">"Define a meter"</h2>
                <FormError error />
                <ActionForm action=save>
                    <div class="grid grid-cols-3 gap-3">
                        <Field label="Key" name="key" placeholder="emails_sent" error />
                        <Field label="Name" name="name" error />
                        <Field label="Unit" name="unit" placeholder="emails" error />
                        <label class="block text-sm">
                            <span class="font-medium text-slate-700">"Aggregation"</span>
                            <select class=INPUT name="aggregation">
                                <option value="sum">"sum of quantities"</option>
                                <option value="count">"count of events"</option>
                                <option value="max">"max quantity"</option>
                                <option value="unique_count">"unique values of a property"</option>
                            </select>
                        </label>
                        <Field label="Property (unique_count)" name="property" error />
                        <label class="block text-sm">
                            <span class="font-medium text-slate-700">"Filters (property=value per line)"</span>
                            <textarea class=INPUT name="filters" rows="2"></textarea>
                        </label>
                    </div>
                    <button type="submit" class=format!("{BUTTON} mt-3")>"Save meter"</button>
                </ActionForm>
            </section>
        </ConsoleShell>
    }
}
